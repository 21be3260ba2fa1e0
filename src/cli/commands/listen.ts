/**
 * `pulmolens listen`: the Storage SCP without the app. Received CT instances go into the vault
 * (encrypted from memory), one study per StudyInstanceUID; stops on SIGINT/SIGTERM after storing
 * what open associations had received. Prints only AE titles, addresses and vault refs.
 */
import type { Command } from 'commander';
import { openVault } from '../../core/vault';
import {
  startStorageScp,
  vaultReceiver,
  parseAllowedPeer,
  DimseSettings,
  parseOrExplain,
} from '../../core/dimse';
import { auditActor, READER_FLAGS, READER_HELP } from '../reader';
import { currentPassphrase, vaultDir } from './vault-passphrase';

interface ListenFlags {
  vault?: string;
  reader?: string;
  aet: string;
  port: string;
  host: string;
  allow: string[];
  timeout: string;
}

export function registerListen(program: Command): void {
  program
    .command('listen')
    .description('Receive CT studies over DICOM (C-STORE SCP, answers C-ECHO) straight into the vault.')
    .option('--vault <dir>', 'vault folder (default: $PULMOLENS_VAULT)')
    .option(READER_FLAGS, READER_HELP)
    .option('--aet <title>', 'this AE title', 'PULMOLENS')
    .option('--port <n>', 'TCP port (0: any free port, printed)', '11112')
    .option('--host <address>', 'interface address to listen on', '127.0.0.1')
    .option(
      '--allow <AET@host...>',
      'calling AE title and host address allowed to send (repeatable); no other peer is accepted',
      [],
    )
    .option('--timeout <seconds>', 'network timeout', '30')
    .action(async (flags: ListenFlags) => {
      // Port 0 (any free port, for scripts and tests) is a CLI-only choice; settings need a real one.
      const anyPort = flags.port === '0';
      const settings = parseOrExplain('listen options', () =>
        DimseSettings.parse({
          enabled: true,
          aeTitle: flags.aet,
          ...(anyPort ? {} : { port: Number(flags.port) }),
          listenHost: flags.host,
          allowedPeers: flags.allow.map((a) => parseOrExplain(`--allow ${a}`, () => parseAllowedPeer(a))),
          timeoutSeconds: Number(flags.timeout),
        }),
      );
      const vault = await openVault(vaultDir(flags.vault), await currentPassphrase(), {
        idleLockMs: 0,
        actor: auditActor(flags),
      });
      const receiver = vaultReceiver(
        () => vault,
        (s) =>
          process.stdout.write(
            `received ${s.instances} instance(s) from ${s.receivedFrom}: study ${s.studyRef} series ${s.seriesRef}${s.alreadyPresent ? ' (already in the vault)' : ''}\n`,
          ),
      );
      const scp = await startStorageScp({
        ...settings,
        port: anyPort ? 0 : settings.port,
        store: receiver.store,
        canReceive: receiver.canReceive,
        onEvent: (e) => {
          receiver.onEvent(e);
          if (e.kind === 'association-refused') process.stderr.write(`refused association: ${e.reason}\n`);
          if (e.kind === 'instance-refused') process.stderr.write(`refused an instance: ${e.reason}\n`);
        },
      });
      process.stdout.write(`listening on ${scp.host}:${scp.port} as ${settings.aeTitle}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await scp.close();
      await vault.lock();
      process.stdout.write('stopped\n');
    });
}
