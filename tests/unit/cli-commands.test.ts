/**
 * The CLI loads only the module of the subcommand it runs (so `vault list` does not load the
 * inference or DIMSE stacks), and every module for help or an unknown name.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerCommands, subcommandOf } from '../../src/cli/commands/index';

const ALL = ['analyze', 'deidentify', 'eval', 'info', 'listen', 'send', 'synth', 'vault'];
const argv = (...a: string[]) => ['node', 'pulmolens.mjs', ...a];

describe('CLI subcommand registration', () => {
  it('finds the subcommand after any leading options', () => {
    expect(subcommandOf(argv('vault', 'list', '--json'))).toBe('vault');
    expect(subcommandOf(argv('--no-color', 'eval', 'run'))).toBe('eval');
    expect(subcommandOf(argv('--help'))).toBeNull();
    expect(subcommandOf(argv())).toBeNull();
    expect(subcommandOf(argv('vualt', 'list'))).toBeNull();
    expect(subcommandOf(argv('constructor'))).toBeNull();
  });

  it('registers only the named command, or all of them for help and unknown names', async () => {
    const names = async (...a: string[]) => {
      const p = new Command('pulmolens');
      await registerCommands(p, argv(...a));
      return p.commands.map((c) => c.name()).sort();
    };
    expect(await names('info', 'some/folder')).toEqual(['info']);
    expect(await names('vault', 'list')).toEqual(['vault']);
    expect(await names('--help')).toEqual(ALL);
    expect(await names('vualt')).toEqual(ALL);
  });
});
