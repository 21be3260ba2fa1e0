/**
 * Getting studies in: the messages the study browser shows (path + reason), drop paths, the host's
 * folder browser and dropped-folder search (confined to its roots), and the reader's measurements
 * kept in a real vault under their study and series.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listFolder, locateDropped } from '../../src/main/ipc/folder-browser';
import { createInProcessBackend } from '../../src/main/dicom/in-process-backend';
import { createHandlers } from '../../src/main/ipc/handlers';
import { createRouter } from '../../src/main/ipc/router';
import { VaultSessionHolder } from '../../src/main/vault-session';
import {
  droppedPaths,
  importFailure,
  importProblems,
  sampleDropped,
  seriesFailure,
} from '../../src/renderer/store/import-problems';
import { droppedFolderQuerySchema } from '../../src/shared/import-contract';
import type { IpcResult } from '../../src/shared/ipc-contract';
import { lidcStudy, missingData } from '../support/shared-data';

const work = mkdtempSync(join(tmpdir(), 'pulmolens-import-folders-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('import problems', () => {
  it('names a missing folder, a folder without DICOM and the reasons', () => {
    const p = importProblems(
      ['/no/such', '/data/docs'],
      [
        { path: '/no/such', code: 'NOT_FOUND', reason: 'no such file or folder' },
        { path: '/data/docs/a.txt', code: 'DICOM_NOT_DICOM', reason: 'not a DICOM file' },
        { path: '/data/docs/b.txt', code: 'DICOM_NOT_DICOM', reason: 'not a DICOM file' },
        { path: '/data/docs/c.dcm', code: 'DICOM_MALFORMED', reason: 'cannot parse DICOM' },
      ],
      0,
    );
    expect(p).toEqual([
      {
        path: '/no/such',
        title: 'Folder not found',
        reason: 'no such file or folder. Check the path, or choose the folder with the folder picker.',
      },
      {
        path: '/data/docs',
        title: 'No DICOM images in this folder',
        reason: '3 file(s) looked at, none is a CT image: not a DICOM file (×2); cannot parse DICOM.',
      },
    ]);
  });

  it('says nothing when series were found, and names an empty folder', () => {
    expect(
      importProblems(['/data/ct'], [{ path: '/data/ct/x', code: 'DICOM_NOT_DICOM', reason: 'r' }], 1),
    ).toEqual([]);
    expect(importProblems(['/empty'], [], 0)[0]).toMatchObject({
      path: '/empty',
      title: 'No DICOM images in this folder',
    });
  });

  it('words a failed import and a series that does not decode with the path', () => {
    expect(importFailure(['/a'], { code: 'VAULT_LOCKED', message: 'the vault is locked' })).toEqual({
      path: '/a',
      title: 'Import failed',
      reason: 'the vault is locked (VAULT_LOCKED)',
    });
    expect(
      seriesFailure('#3 CT', {
        code: 'DICOM_DECODE_FAILED',
        message: 'no image could be decoded',
        path: '/d/1.dcm',
      }),
    ).toEqual({
      path: '/d/1.dcm',
      title: 'Series #3 CT could not be opened',
      reason: 'no image could be decoded (DICOM_DECODE_FAILED)',
    });
  });
});

describe('drops', () => {
  it('takes Electron paths first, else paths and file:// URIs from the text', () => {
    const f = { name: 'x' } as File;
    expect(droppedPaths([f], () => '/real/path', 'ignored')).toEqual(['/real/path']);
    expect(droppedPaths([f], () => null, '# comment\nfile:///data/my%20ct\n/other\nnot a path')).toEqual([
      '/data/my ct',
      '/other',
    ]);
    expect(droppedPaths([], undefined, '')).toEqual([]);
  });

  it('samples a drop evenly and validates the query', () => {
    const files = Array.from({ length: 100 }, (_, i) => ({
      relativePath: `f${String(i).padStart(3, '0')}.dcm`,
      size: i,
    }));
    const s = sampleDropped(files, 10);
    expect(s).toHaveLength(10);
    expect(s[0]!.relativePath).toBe('f000.dcm');
    expect(s[9]!.relativePath).toBe('f090.dcm');
    expect(droppedFolderQuerySchema.safeParse({ folderName: 'ct', files: s }).success).toBe(true);
    expect(droppedFolderQuerySchema.safeParse({ folderName: '..', files: s }).success).toBe(false);
    expect(
      droppedFolderQuerySchema.safeParse({ files: [{ relativePath: '../etc/passwd', size: 1 }] }).success,
    ).toBe(false);
    expect(
      droppedFolderQuerySchema.safeParse({ files: [{ relativePath: '/etc/passwd', size: 1 }] }).success,
    ).toBe(false);
  });
});

describe('folder browser', () => {
  const root = join(work, 'root');
  const outside = join(work, 'outside');
  mkdirSync(join(root, 'patients', 'ct-a'), { recursive: true });
  mkdirSync(join(root, 'patients', 'ct-b'), { recursive: true });
  mkdirSync(join(root, '.hidden'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(root, 'patients', 'ct-a', '1.dcm'), 'aaaa');
  writeFileSync(join(root, 'patients', 'ct-a', '2.dcm'), 'aaaaaa');
  writeFileSync(join(root, 'patients', 'ct-b', '1.dcm'), 'bbb');
  writeFileSync(join(outside, '1.dcm'), 'aaaa');
  symlinkSync(outside, join(root, 'link-out'));

  it('lists the roots, then sub-folders with a parent, hiding dot folders and links', async () => {
    const top = await listFolder([root]);
    expect(top.path).toBeNull();
    expect(top.folders.map((f) => f.path)).toEqual([root]);
    const l = await listFolder([root], join(root, 'patients'));
    expect(l.folders.map((f) => f.name)).toEqual(['ct-a', 'ct-b']);
    expect(l.parent).toBe(root);
    expect((await listFolder([root], root)).folders.map((f) => f.name)).toEqual(['patients']); // links are not offered
    expect((await listFolder([root], join(root, 'patients', 'ct-a'))).files).toBe(2);
  });

  it('refuses paths outside the roots, through links too, and names missing ones', async () => {
    await expect(listFolder([root], outside)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(listFolder([root], join(root, 'link-out'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(listFolder([root], join(root, '..'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(listFolder([root], join(root, 'nope'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      path: join(root, 'nope'),
    });
  });

  it('finds a dropped folder by name, file names and sizes, only inside the roots', async () => {
    const files = [
      { relativePath: '1.dcm', size: 4 },
      { relativePath: '2.dcm', size: 6 },
    ];
    expect(await locateDropped([root], { folderName: 'ct-a', files })).toEqual([
      join(root, 'patients', 'ct-a'),
    ]);
    // Loose files: the folder that holds them.
    expect(await locateDropped([root], { files: [{ relativePath: '1.dcm', size: 3 }] })).toEqual([
      join(root, 'patients', 'ct-b'),
    ]);
    // Same name, other sizes: not it. A copy outside the roots (even linked in) is never found.
    expect(
      await locateDropped([root], { folderName: 'ct-a', files: [{ relativePath: '1.dcm', size: 5 }] }),
    ).toEqual([]);
    expect(
      await locateDropped([root], { folderName: 'outside', files: [{ relativePath: '1.dcm', size: 4 }] }),
    ).toEqual([]);
  });
});

describe.skipIf(missingData('ct/LIDC-IDRI-0001.tar.xz'))('measurements in the vault', () => {
  it('are stored under the series study and series, replaced on save, read back after lock/unlock', async () => {
    const src = lidcStudy('0001').seriesDir;
    const dicom = join(work, 'three');
    mkdirSync(dicom, { recursive: true });
    for (const f of readdirSync(src).sort().slice(0, 3)) copyFileSync(join(src, f), join(dicom, f));
    const session = new VaultSessionHolder({
      dir: join(work, 'vault'),
      kdf: { memoryKiB: 1024, iterations: 1, parallelism: 1 },
      allowWeakKdf: true,
    });
    const router = createRouter(
      createHandlers({
        backend: createInProcessBackend(),
        appInfo: { name: 't', version: '0' },
        vault: session,
      }),
      () => undefined,
    );
    const call = async <T>(channel: string, payload: unknown = {}): Promise<T> => {
      const r = (await router.invoke(channel, payload)) as IpcResult<T>;
      if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
      return r.value;
    };
    const pass = 'a long enough test passphrase';
    await call('vault.create', { passphrase: pass, confirm: pass, reader: { name: 'Dr Import Test' } });
    const imp = await call<{ imported: { key: string; seriesRef: string; studyRef: string }[] }>(
      'vault.importFolder',
      {
        paths: [dicom],
      },
    );
    const { key, seriesRef, studyRef } = imp.imported[0]!;
    const m = {
      uid: 'm1',
      tool: 'Length',
      viewportId: 'axial',
      text: '23.4 mm',
      value: 23.4,
      stats: { tool: 'Length', lengthMm: 23.4 },
      points: [
        [0, 0, 0],
        [23.4, 0, 0],
      ],
      viewPlaneNormal: [0, 0, -1],
      viewUp: [0, -1, 0],
      frameOfReferenceUid: '1.2.3',
      sliceIndex: 1,
    };
    await call('measurements.save', { key, measurements: [m] });
    await call('measurements.save', { key, measurements: [m, { ...m, uid: 'm2' }] });
    const objects = session.require().listObjects({ kind: 'review' });
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatchObject({ studyRef, seriesRef });
    // A payload that breaks the schema is refused before anything is stored.
    const bad = (await router.invoke('measurements.save', {
      key,
      measurements: [{ ...m, value: 'x' }],
    })) as IpcResult<unknown>;
    expect(bad.ok ? null : bad.error.code).toBe('IPC_INVALID_PAYLOAD');
    // A series the vault does not hold gets no measurements.
    const orphan = (await router.invoke('measurements.save', {
      key: 'no-such-series',
      measurements: [],
    })) as IpcResult<unknown>;
    expect(orphan.ok ? null : orphan.error.code).toBe('NOT_FOUND');
    await call('vault.lock');
    await call('vault.unlock', { passphrase: pass, reader: { name: 'Dr Import Test' } });
    const back = await call<{ measurements: { uid: string }[] }>('measurements.get', { key });
    expect(back.measurements.map((x) => x.uid)).toEqual(['m1', 'm2']);
    await call('vault.deleteStudy', { ref: studyRef });
    expect(session.require().listObjects({ kind: 'review' })).toEqual([]);
    await call('vault.lock');
  }, 120_000);
});
