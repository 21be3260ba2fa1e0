/**
 * The vault channels (lock screen, session, catalogue,
 * import, export, audit) and the glue that
 * makes the DICOM channels read stored series from the vault: importing = scan the folder (DICOM
 * worker) -> copy each series into the vault; opening = decrypt the vault's objects here and decode
 * them in the DICOM worker, with no plaintext on disk.
 */
import { PulmoLensError } from '../../common/errors';
import type { ScannedSeries } from '../../core/dicom/types';
import { newRecoveryCode, type UnlockedVault } from '../../core/vault';
import { summarize } from './series-summary';
import {
  vaultRequestSchemas,
  type ImportedSeries,
  type VaultChannel,
  type VaultSeries,
  type VaultStatus,
  type VaultStudy,
} from '../../shared/vault-contract';
import type { DicomBackend } from '../dicom/dicom-backend';
import type { Reader } from '../../common/reader';
import type { VaultSessionHolder } from '../vault-session';

/** zod gives `id: string | undefined`; the session wants it absent. */
const readerOf = (r: { name: string; id?: string | undefined }): Reader =>
  r.id ? { name: r.name, id: r.id } : { name: r.name };
import type { Handler } from './router';

export type VaultHandlers = { [C in VaultChannel]: Handler<C> };

const VAULT_PATH = 'vault:';

/** Every study in the vault with its series in the study browser's shape. */
function vaultStudies(v: UnlockedVault): VaultStudy[] {
  return v.listStudies().map((st) => ({
    ref: st.ref,
    studyInstanceUid: st.studyInstanceUid,
    patientName: st.patientName,
    patientId: st.patientId,
    studyDate: st.studyDate,
    studyDescription: st.studyDescription,
    importedAt: st.importedAt,
    series: st.series.map((se): VaultSeries => ({
      ...summarize(v.getSeries(se.ref).scanned),
      ref: se.ref,
      bytes: se.bytes,
      importedAt: se.importedAt,
      ...(se.receivedFrom ? { receivedFrom: se.receivedFrom } : {}),
    })),
  }));
}

/** A stored series as the DICOM loader takes it: frame paths are `vault:<objectId>`. */
export function storedSeries(session: VaultSessionHolder, key: string): ScannedSeries {
  const v = session.require();
  try {
    return v.getSeries(key).scanned;
  } catch (err) {
    if (err instanceof PulmoLensError && err.code === 'NOT_FOUND') {
      throw new PulmoLensError('NOT_FOUND', `series ${key} is not in the vault: import its folder first`);
    }
    throw err;
  }
}

const fromVault = (s: ScannedSeries): boolean => s.frames.some((f) => f.path.startsWith(VAULT_PATH));

/**
 * The DICOM backend with vault series read through the vault: the keys never leave this thread,
 * so the objects are decrypted here (each awaited separately, so IPC keeps flowing) and the
 * plaintext bytes are handed, in memory, to the DICOM worker, which decodes them off this thread.
 * Nothing is written to disk.
 */
export function vaultAwareBackend(
  backend: DicomBackend,
  session: VaultSessionHolder,
  sources?: SourcePaths,
): DicomBackend {
  return {
    scan: (paths, opts) => backend.scan(paths, opts),
    async load(series, opts) {
      if (!fromVault(series)) return backend.load(series, opts);
      const v = session.require();
      // A whole series opened for reading is audit-logged; one-frame thumbnails are not.
      if (series.frames.length > 1) await v.openStudy(series.key);
      const paths = [...new Set(series.frames.map((f) => f.path))];
      const files = new Map<string, Uint8Array>();
      for (const [i, path] of paths.entries()) {
        if (opts.signal?.aborted) throw new PulmoLensError('CANCELLED', 'opening cancelled');
        const bytes = await v.readInstance(path);
        // Handed to the worker by transferring its buffer: only a buffer shared with other
        // values (a small pooled one) is copied first.
        const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
        files.set(path, own ? bytes : new Uint8Array(bytes));
        opts.onProgress?.({ done: i + 1, total: paths.length, stage: 'decrypting' });
      }
      try {
        return await backend.load(series, opts, files);
      } catch (err) {
        throw sources ? withSourcePath(err, series, sources) : err;
      }
    },
    close: () => backend.close(),
  };
}

/**
 * Where this session imported each instance from (SOP Instance UID -> file), kept in memory only,
 * so an error about a stored instance names the file the reader imported, not `vault:<id>`.
 */
export type SourcePaths = Map<string, string>;

function withSourcePath(err: unknown, series: ScannedSeries, sources: SourcePaths): unknown {
  if (!(err instanceof PulmoLensError) || !err.path?.startsWith(VAULT_PATH)) return err;
  const frame = series.frames.find((f) => f.path === err.path);
  const uid = frame?.sopInstanceUid;
  const path =
    (uid && sources.get(uid)) ?? `${err.path} (SOP Instance ${uid ?? 'unknown'}, imported earlier)`;
  return new PulmoLensError(err.code, err.message.split(err.path).join(path), {
    path,
    cause: err,
    ...(err.details ? { details: err.details } : {}),
  });
}

export interface VaultHandlerDeps {
  /** absent in processes without a vault (unit tests of other channels): every call says so */
  session?: VaultSessionHolder | undefined;
  /** scans the folders to import (the DICOM worker in the app) */
  backend: DicomBackend;
  /** filled on import: where each instance came from (see SourcePaths) */
  sources?: SourcePaths;
}

export function createVaultHandlers({ session, backend, sources }: VaultHandlerDeps): VaultHandlers {
  if (!session) return noVault();
  const status = async (): Promise<VaultStatus> => ({
    exists: await session.exists(),
    unlocked: session.unlocked,
    idleMinutes: session.idleMinutes,
    keychain: { ...session.keychain(), enabled: await session.keychainEnabled() },
  });

  return {
    'vault.status': () => status(),
    'vault.create': async ({ passphrase, reader }) => {
      const recoveryCode = newRecoveryCode();
      await session.create(passphrase, readerOf(reader), recoveryCode);
      return { ...(await status()), recoveryCode };
    },
    'vault.unlock': async ({ passphrase, reader }) => {
      await session.unlock(passphrase, readerOf(reader));
      return status();
    },
    'vault.unlockWithKeychain': async ({ reader }) => {
      await session.unlockWithKeychain(readerOf(reader));
      return status();
    },
    'vault.recover': async ({ recoveryCode, passphrase, reader }) => {
      await session.recover(recoveryCode, passphrase, readerOf(reader));
      return status();
    },
    'vault.enableKeychain': async ({ acceptWeakBackend }) => {
      await session.enableKeychain(acceptWeakBackend);
      return status();
    },
    'vault.lock': async () => {
      await session.lock('manual');
      return status();
    },
    'vault.touch': () => {
      session.touch();
      return { unlocked: session.unlocked };
    },
    'vault.setIdleMinutes': ({ minutes }) => {
      session.setIdleMinutes(minutes);
      return status();
    },
    'vault.studies': () => ({ studies: vaultStudies(session.require()) }),
    'vault.importFolder': async ({ paths }, ctx) => {
      session.require();
      const scan = await backend.scan(paths, {
        signal: ctx.signal,
        onProgress: (p) => ctx.progress({ ...p, stage: `scanning: ${p.stage}` }),
      });
      const imported: ImportedSeries[] = [];
      for (const [i, s] of scan.series.entries()) {
        if (ctx.signal.aborted) throw new PulmoLensError('CANCELLED', 'import cancelled');
        // Fetched per series: a lock in between stops the import with VAULT_LOCKED.
        const v = session.require();
        for (const f of s.frames) sources?.set(f.sopInstanceUid, f.path);
        const r = await v.importSeries(s, {
          signal: ctx.signal,
          onProgress: (p) => {
            session.touch();
            ctx.progress({ ...p, stage: `importing series ${i + 1}/${scan.series.length}: ${p.stage}` });
          },
        });
        imported.push({
          key: s.key,
          seriesRef: r.seriesRef,
          studyRef: r.studyRef,
          instances: r.instances,
          bytes: r.bytes,
          alreadyPresent: r.alreadyPresent,
        });
      }
      return { imported, skipped: scan.skipped, studies: vaultStudies(session.require()) };
    },
    'vault.deleteStudy': async ({ ref }) => {
      const r = await session.require().deleteStudy(ref);
      session.forget();
      return { objects: r.objects, studies: vaultStudies(session.require()) };
    },
    'vault.exportSeries': ({ key, outDir, overwrite }) =>
      session.require().exportSeries(key, outDir, { overwrite: overwrite === true }),
    'vault.audit': async ({ limit }) => {
      const all = await session.require().auditEntries();
      // The hash-chain link is an integrity detail, not something to show.
      return { entries: all.slice(-limit).map(({ prev: _prev, ...e }) => e) };
    },
  };
}

function noVault(): VaultHandlers {
  const refuse = () => {
    throw new PulmoLensError('VAULT_NOT_FOUND', 'this process has no vault configured');
  };
  return Object.fromEntries(
    (Object.keys(vaultRequestSchemas) as VaultChannel[]).map((c) => [c, refuse]),
  ) as unknown as VaultHandlers;
}
