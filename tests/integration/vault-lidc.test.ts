/**
 * The vault on a real CT (LIDC-IDRI-0001, 133 slices): import, random access, tamper detection,
 * and no patient data anywhere on disk. Vaults use small Argon2id costs (allowWeakKdf): these
 * tests are about the data format, not about KDF strength (tests/unit/vault-core covers that).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';
import { loadSeries, scanDicomInputs, type ScannedSeries } from '../../src/core/dicom';
import { createVault, openVault, type UnlockedVault } from '../../src/core/vault';

const skip = missingData('ct/LIDC-IDRI-0001.tar.xz');
const WEAK = {
  kdf: { memoryKiB: 256, iterations: 1, parallelism: 1 },
  allowWeakKdf: true,
  idleLockMs: 0,
} as const;
const CHUNK = 64 * 1024;

let series: ScannedSeries;
let files: string[];
const work = mkdtempSync(join(tmpdir(), 'plv-lidc-'));

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function allFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  if (skip) return;
  const study = lidcStudy('0001');
  const scan = await scanDicomInputs([study.seriesDir]);
  expect(scan.series).toHaveLength(1);
  series = scan.series[0]!;
  files = [...new Set(series.frames.map((f) => f.path))];
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

async function importedVault(
  name: string,
  chunkBytes = CHUNK,
): Promise<{ dir: string; v: UnlockedVault; seriesRef: string }> {
  const dir = join(work, name);
  const v = await createVault(dir, 'pw', { ...WEAK, chunkBytes });
  const r = await v.importSeries(series);
  return { dir, v, seriesRef: r.seriesRef };
}

describe.skipIf(skip)('vault with LIDC-IDRI-0001', () => {
  it('imports every file byte-identically, leaves the originals untouched and reads one slice alone', async () => {
    const before = files.map((f) => [sha(readFileSync(f)), statSync(f).mtimeMs] as const);
    const { v, seriesRef } = await importedVault('plain');
    expect(files).toHaveLength(133);
    const [study] = v.listStudies();
    expect(study).toMatchObject({
      patientId: series.metadata.patientId,
      studyInstanceUid: series.metadata.studyInstanceUid,
    });
    expect(study!.series[0]).toMatchObject({ ref: seriesRef, instances: 133, frames: 133 });

    const stored = v.getSeries(seriesRef);
    expect(stored.scanned.frames.map((f) => f.sopInstanceUid)).toEqual(
      series.frames.map((f) => f.sopInstanceUid),
    );
    for (const [i, f] of stored.scanned.frames.entries()) {
      const bytes = await v.readInstance(f.path);
      expect(sha(bytes)).toBe(before[files.indexOf(series.frames[i]!.path)]![0]);
    }
    const mid = series.frames[66]!;
    const one = await v.readInstance(seriesRef, mid.sopInstanceUid);
    expect(one.equals(readFileSync(mid.path))).toBe(true);
    expect(files.map((f) => [sha(readFileSync(f)), statSync(f).mtimeMs] as const)).toEqual(before);

    // importing the same series again adds nothing
    const again = await v.importSeries(series);
    expect(again).toMatchObject({ alreadyPresent: true, seriesRef });
    expect(v.listObjects()).toHaveLength(133);
    const report = await v.verify();
    expect(report).toMatchObject({ ok: true, objectsChecked: 133, problems: [] });
    await v.lock();
  });

  it('a cancelled or failed import leaves nothing behind', async () => {
    const dir = join(work, 'cancel');
    const v = await createVault(dir, 'pw', WEAK);
    const ac = new AbortController();
    const seen: number[] = [];
    await expect(
      v.importSeries(series, {
        signal: ac.signal,
        onProgress: (p) => {
          seen.push(p.done);
          if (p.done === 20) ac.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(Math.max(...seen)).toBeGreaterThanOrEqual(20);
    expect(v.listStudies()).toEqual([]);
    expect(readdirSync(join(dir, 'objects'))).toEqual([]);
    expect(await v.verify()).toMatchObject({ ok: true, notes: [] });

    // a source file that vanished half-way: a typed error naming it, and again nothing left
    const gone = join(work, 'vanished.dcm');
    const broken = { ...series, frames: series.frames.map((f, i) => (i === 90 ? { ...f, path: gone } : f)) };
    await expect(v.importSeries(broken)).rejects.toMatchObject({ code: 'IO_ERROR', path: gone });
    expect(v.listStudies()).toEqual([]);
    expect(readdirSync(join(dir, 'objects'))).toEqual([]);
    expect(await v.verify()).toMatchObject({ ok: true, notes: [] });
    await v.lock();
  });

  it('detects a flipped byte, truncation, swapped chunks and an object from another vault, naming each; nothing else is lost', async () => {
    const { dir, v, seriesRef } = await importedVault('tamper');
    const { dir: otherDir, v: other } = await importedVault('other');
    const ids = v.getSeries(seriesRef).instances.map((i) => i.objectId);
    const path = (d: string, id: string) => join(d, 'objects', `${id}.plo`);
    const chunkAt = (i: number) => 48 + i * (CHUNK + 28);
    const [flipped, cutMid, cutBoundary, swapped, foreign] = ids as [string, string, string, string, string];

    let b = readFileSync(path(dir, flipped));
    b[chunkAt(2) + 500]! ^= 0x80;
    writeFileSync(path(dir, flipped), b);

    truncateSync(path(dir, cutMid), statSync(path(dir, cutMid)).size - 1000);
    truncateSync(path(dir, cutBoundary), chunkAt(3));

    b = readFileSync(path(dir, swapped));
    const c1 = Buffer.from(b.subarray(chunkAt(1), chunkAt(2)));
    b.subarray(chunkAt(2), chunkAt(3)).copy(b, chunkAt(1));
    c1.copy(b, chunkAt(2));
    writeFileSync(path(dir, swapped), b);

    const otherId = other.getSeries(other.listStudies()[0]!.series[0]!.ref).instances[4]!.objectId;
    copyFileSync(path(otherDir, otherId), path(dir, foreign));
    await other.lock();

    const report = await v.verify();
    const byObject = new Map(report.problems.map((p) => [p.objectId, p]));
    expect(report.problems).toHaveLength(5);
    expect(byObject.get(flipped)).toMatchObject({ code: 'OBJECT_CORRUPT', chunk: 2 });
    expect(byObject.get(cutMid)!.message).toMatch(/truncated/);
    expect(byObject.get(cutBoundary)!.message).toMatch(/truncated/);
    expect(byObject.get(swapped)).toMatchObject({ code: 'OBJECT_CORRUPT', chunk: 1 });
    expect(byObject.get(foreign)!.message).toMatch(/another vault/);
    for (const p of report.problems) expect(p.message).toContain(p.objectId!);

    // every other slice still reads, and the damaged ones fail loudly with their names
    const damaged = new Set([flipped, cutMid, cutBoundary, swapped, foreign]);
    for (const id of ids) {
      if (damaged.has(id)) await expect(v.getObject(id)).rejects.toMatchObject({ code: 'VAULT_CORRUPT' });
      else expect((await v.getObject(id)).subarray(128, 132).toString()).toBe('DICM');
    }
    // the intact chunks of a damaged object are still readable one by one
    expect((await v.readObjectRange(flipped, 0, CHUNK)).subarray(128, 132).toString()).toBe('DICM');
    await v.lock();
  });

  it('after import and analysis no PatientID, PatientName, UIDs or DICOM preamble is on disk or in the temp folder', async () => {
    const md = series.metadata;
    // The CLI import runs with its own TMPDIR so that exactly its temp-folder use is observed
    // (the shared os.tmpdir() holds other programs' DICOM files).
    const tmp = mkdtempSync(join(work, 'tmpdir-'));
    const dir = join(work, 'phi');
    await (await createVault(dir, 'pw', WEAK)).lock();
    const env = {
      ...process.env,
      TMPDIR: tmp,
      TMP: tmp,
      TEMP: tmp,
      PULMOLENS_VAULT: dir,
      PULMOLENS_PASSPHRASE: 'pw',
    };
    const run = spawnSync(
      'node',
      [join(repoRoot, 'bin', 'pulmolens.mjs'), 'vault', 'import', lidcStudy('0001').seriesDir],
      {
        env,
        encoding: 'utf8',
      },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);

    // analysis in this process: decoding, results and a report that carry the patient identifiers
    const oldTmp = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const v = await openVault(dir, 'pw', { idleLockMs: 0 });
      const study = await v.openStudy(v.listStudies()[0]!.ref);
      await v.putObject(study.ref, 'analysis', {
        patientId: md.patientId,
        series: md.seriesInstanceUid,
        nodules: [],
      });
      await v.putObject(
        study.ref,
        'report',
        `Report for ${md.patientId} ${md.patientName} ${md.studyInstanceUid}`,
      );
      // decode the series to HU (as analysis does) and keep the volume as the study's cache
      const hu = (await loadSeries(series)).volume.hu;
      await v.putObject(study.ref, 'volume-cache', Buffer.from(hu.buffer, hu.byteOffset, hu.byteLength));
      await v.lock();
    } finally {
      if (oldTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = oldTmp;
    }

    const needles = [
      md.patientId,
      md.patientName,
      md.seriesInstanceUid,
      md.studyInstanceUid,
      md.accessionNumber,
    ]
      .filter((s) => s.trim() !== '')
      .map((s) => Buffer.from(s, 'latin1'));
    // LIDC is de-identified: PatientName is empty, so it cannot be searched for; the others can.
    expect(needles.length).toBeGreaterThanOrEqual(4);
    const scanned = [...allFiles(dir), ...allFiles(tmp)];
    expect(scanned.length).toBeGreaterThan(133);
    const hits: string[] = [];
    for (const f of scanned) {
      const b = readFileSync(f);
      for (const n of needles) {
        if (b.includes(n) || f.includes(n.toString('latin1'))) hits.push(`${f}: ${n.toString('latin1')}`);
      }
      if (b.length >= 132 && b.subarray(128, 132).toString('latin1') === 'DICM')
        hits.push(`${f}: DICM preamble`);
    }
    expect(hits).toEqual([]);
  });

  it('export writes the decrypted DICOM and is audit-logged; delete removes the study, its files and its keys', async () => {
    const { dir, v, seriesRef } = await importedVault('export', 1024 * 1024);
    const studyRef = v.listStudies()[0]!.ref;
    await v.putObject(studyRef, 'report', 'report text');
    const out = join(work, 'exported');
    const r = await v.exportSeries(series.metadata.seriesInstanceUid, out);
    expect(r.files).toBe(133);
    const exported = readdirSync(out).sort();
    expect(exported[0]).toBe('IM00001.dcm');
    const want = new Set(files.map((f) => sha(readFileSync(f))));
    expect(new Set(exported.map((f) => sha(readFileSync(join(out, f)))))).toEqual(want);
    // The files are there now: a second export refuses to replace them, naming the file.
    await expect(v.exportSeries(seriesRef, out)).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
      message: expect.stringContaining('IM00001.dcm'),
    });

    const del = await v.deleteStudy(studyRef);
    expect(del.objects).toBe(134);
    expect(v.listStudies()).toEqual([]);
    expect(readdirSync(join(dir, 'objects'))).toEqual([]);
    const events = (await v.auditEntries()).map((e) => [e.event, e.studyRef ?? null]);
    expect(events).toEqual(
      expect.arrayContaining([
        ['study-imported', studyRef],
        ['report-saved', studyRef],
        ['study-exported', studyRef],
        ['study-deleted', studyRef],
      ]),
    );
    expect((await v.verify()).ok).toBe(true);
    await v.lock();
  });
});
