import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index';
import { formatError } from './format-error';

/** Builds the `pulmolens` command tree; each subcommand lives in its own module under ./commands. */
function buildProgram(): Command {
  const program = new Command('pulmolens')
    .description('PulmoLens: offline chest-CT reading assistant (research use, not for diagnosis).')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();
  registerCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
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
