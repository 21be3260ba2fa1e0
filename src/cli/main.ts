import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index';
import { formatError } from './format-error';

/** Builds the `pulmolens` command tree; each subcommand lives in its own module under ./commands. */
async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('pulmolens')
    .description('PulmoLens: offline chest-CT reading assistant (research use, not for diagnosis).')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();
  await registerCommands(program, argv);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode;
    }
    process.stderr.write(`${formatError(err)}\n`);
    return 1;
  }
}
