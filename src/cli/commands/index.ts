import type { Command } from 'commander';
import { registerInfo } from './info';

/** Every subcommand registers itself here; keep one module per command. */
export function registerCommands(program: Command): void {
  registerInfo(program);
}
