import type { Command } from 'commander';
import { registerAnalyze } from './analyze';
import { registerDeidentify } from './deidentify';
import { registerEval } from './eval';
import { registerInfo } from './info';
import { registerListen } from './listen';
import { registerSend } from './send';
import { registerSynth } from './synth';
import { registerVault } from './vault';

/** Every subcommand registers itself here; keep one module per command. */
export function registerCommands(program: Command): void {
  registerAnalyze(program);
  registerDeidentify(program);
  registerEval(program);
  registerInfo(program);
  registerListen(program);
  registerSend(program);
  registerSynth(program);
  registerVault(program);
}
