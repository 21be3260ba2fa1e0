import type { Command } from 'commander';

/**
 * Every subcommand registers itself from its own module. Each module pulls in the part of the core
 * it needs (DICOM, vault, inference, DIMSE, reports), so only the named subcommand's module is
 * loaded: `pulmolens vault list` does not load onnxruntime or the DIMSE stack. Help, a bare
 * `pulmolens` and an unknown name load them all, so commander lists every command and suggests
 * the nearest one.
 */
const COMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  analyze: async () => (await import('./analyze')).registerAnalyze,
  deidentify: async () => (await import('./deidentify')).registerDeidentify,
  eval: async () => (await import('./eval')).registerEval,
  info: async () => (await import('./info')).registerInfo,
  listen: async () => (await import('./listen')).registerListen,
  send: async () => (await import('./send')).registerSend,
  synth: async () => (await import('./synth')).registerSynth,
  vault: async () => (await import('./vault')).registerVault,
};

/** The subcommand named in argv (node, script, then options before it), or null. */
export function subcommandOf(argv: readonly string[]): string | null {
  const first = argv.slice(2).find((a) => !a.startsWith('-'));
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? first : null;
}

export async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  const only = subcommandOf(argv);
  const names = only !== null ? [only] : Object.keys(COMMANDS);
  const registrars = await Promise.all(names.map((n) => COMMANDS[n]!()));
  for (const register of registrars) register(program);
}
