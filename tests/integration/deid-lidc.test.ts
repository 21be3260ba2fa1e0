import { spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASIC_PROFILE, deidentifyFolder, shiftDate, type DeidExportResult } from '../../src/core/deid';
import { loadSeries, scanDicomInputs } from '../../src/core/dicom';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';

type DataSet = ReturnType<typeof dicomParser.parseDicom>;

const parse = (path: string): { bytes: Uint8Array; ds: DataSet } => {
  const bytes = new Uint8Array(readFileSync(path));
  return { bytes, ds: dicomParser.parseDicom(bytes) };
};

/** Every (tag, string value) in a dataset, sequences included, as dicom-parser reads them. */
function values(ds: DataSet, out: Array<{ tag: string; value: string }> = []): typeof out {
  for (const [key, el] of Object.entries(ds.elements)) {
    const tag = key.slice(1).toUpperCase();
    if (el.items) {
      for (const item of el.items) if (item.dataSet) values(item.dataSet, out);
      continue;
    }
    if (tag === '7FE00010' || el.length === 0 || el.length > 1024) continue;
    const v = ds.string(key);
    if (v !== undefined && v.trim() !== '') out.push({ tag, value: v.trim() });
  }
  return out;
}

function allTags(ds: DataSet, out: string[] = []): string[] {
  for (const [key, el] of Object.entries(ds.elements)) {
    out.push(key.slice(1).toUpperCase());
    for (const item of el.items ?? []) if (item.dataSet) allTags(item.dataSet, out);
  }
  return out;
}

const hashTree = (dir: string): string => {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(p).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
};

const missing = missingData('ct/LIDC-IDRI-0001.tar.xz');

describe.skipIf(missing)('de-identification of LIDC-IDRI-0001 (PS3.15 E.1 basic profile)', () => {
  let root = '';
  let work = '';
  let result: DeidExportResult;
  let inputHash = '';

  beforeAll(async () => {
    root = lidcStudy('0001').root;
    work = mkdtempSync(join(tmpdir(), 'pulmolens-deid-'));
    inputHash = hashTree(root);
    result = await deidentifyFolder(root, join(work, 'remove'), { dates: 'remove' });
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('writes one de-identified file per DICOM file, skips the XML, never touches the input', () => {
    expect(result.written).toHaveLength(133);
    expect(result.skipped.map((s) => s.path.split('/').pop())).toEqual(['reader-annotations.xml']);
    expect(hashTree(root)).toBe(inputHash);
  });

  it('no attribute of Table E.1-1 that is removed or replaced keeps its original value (dicom-parser)', () => {
    const rows = new Map(BASIC_PROFILE.map((r) => [r.tag, r]));
    let checked = 0;
    const seenTags = new Set<string>();
    for (const w of result.written) {
      const src = values(parse(w.source).ds);
      const out = parse(w.output).ds;
      const outValues = new Map<string, Set<string>>();
      for (const { tag, value } of values(out)) {
        if (!outValues.has(tag)) outValues.set(tag, new Set());
        outValues.get(tag)!.add(value);
      }
      for (const { tag, value } of src) {
        const row = rows.get(tag);
        if (!row || row.action === 'K') continue;
        seenTags.add(`${tag} ${row.name}`);
        checked++;
        expect(
          outValues.get(tag)?.has(value) ?? false,
          `${row.name} (${tag}) kept "${value}" in ${w.output}`,
        ).toBe(false);
        if (row.action === 'X' || row.action === 'X/D' || row.action === 'C') {
          expect(outValues.has(tag), `${row.name} (${tag}) must be removed`).toBe(false);
        }
      }
      // Dates are removed (or emptied) with --dates remove.
      for (const t of ['00080020', '00080021', '00080022', '00080023', '0008002A', '00380020', '00400244']) {
        expect(outValues.has(t), `date ${t} survived`).toBe(false);
      }
    }
    // LIDC's own de-identification left these identifying attributes in the files.
    expect([...seenTags].sort()).toEqual(
      expect.arrayContaining([
        '00080018 SOP Instance UID',
        '00080050 Accession Number',
        '00100020 Patient ID',
        '0020000D Study Instance UID',
        '0020000E Series Instance UID',
        '00200052 Frame of Reference UID',
        '0040A123 Person Name',
        '00181020 Software Versions',
        '001021D0 Last Menstrual Date',
      ]),
    );
    expect(checked).toBeGreaterThan(133 * 10);
  });

  it('removes every private tag and records the method', () => {
    for (const w of result.written) {
      const { ds } = parse(w.output);
      const priv = allTags(ds).filter((t) => (Number.parseInt(t.slice(0, 4), 16) & 1) === 1);
      expect(priv).toEqual([]);
      expect(ds.string('x00120062')).toBe('YES');
      expect(ds.string('x00120063')).toMatch(/Basic Profile/);
      expect(ds.elements.x00120064?.items?.[0]?.dataSet?.string('x00080100')).toBe('113100');
      expect(ds.string('x00280303')).toBe('REMOVED');
    }
  });

  it('remaps UIDs consistently: one study, one series, one frame of reference, distinct instances', () => {
    const study = new Set<string>();
    const series = new Set<string>();
    const frame = new Set<string>();
    const sop = new Map<string, string>();
    const referenced = new Map<string, string>();
    for (const w of result.written) {
      const a = parse(w.source).ds;
      const b = parse(w.output).ds;
      study.add(b.string('x0020000d')!);
      series.add(b.string('x0020000e')!);
      frame.add(b.string('x00200052')!);
      expect(b.string('x0020000d')).not.toBe(a.string('x0020000d'));
      expect(b.string('x00020003')).toBe(b.string('x00080018'));
      expect(b.string('x00080016')).toBe(a.string('x00080016')); // SOP Class kept
      sop.set(a.string('x00080018')!, b.string('x00080018')!);
      const ra = a.string('x00081155');
      if (ra) {
        const rb = b.string('x00081155')!;
        if (referenced.has(ra)) expect(referenced.get(ra)).toBe(rb);
        referenced.set(ra, rb);
        expect(rb).toMatch(/^2\.25\.\d+$/);
      }
    }
    expect(study.size).toBe(1);
    expect(series.size).toBe(1);
    expect(frame.size).toBe(1);
    expect(new Set(sop.values()).size).toBe(133);
    for (const uid of [...study, ...series, ...frame, ...sop.values()])
      expect(uid).toMatch(/^2\.25\.[1-9]\d*$/);
  });

  it('leaves pixel data byte-identical', () => {
    for (const w of result.written) {
      const a = parse(w.source);
      const b = parse(w.output);
      const ea = a.ds.elements.x7fe00010!;
      const eb = b.ds.elements.x7fe00010!;
      expect(eb.length).toBe(ea.length);
      const pa = a.bytes.subarray(ea.dataOffset, ea.dataOffset + ea.length);
      const pb = b.bytes.subarray(eb.dataOffset, eb.dataOffset + eb.length);
      expect(Buffer.compare(Buffer.from(pa), Buffer.from(pb))).toBe(0);
    }
  });

  it('still imports as one series with the same geometry and the same HU volume', async () => {
    const before = await scanDicomInputs([root]);
    const after = await scanDicomInputs([join(work, 'remove')]);
    expect(after.series).toHaveLength(1);
    expect(after.skipped).toEqual([]);
    const [s0, s1] = [before.series[0]!, after.series[0]!];
    expect(s1.frames).toHaveLength(s0.frames.length);
    expect(s1.slices).toBe(s0.slices);
    expect(s1.spacingMm).toEqual(s0.spacingMm);
    expect(s1.originLps).toEqual(s0.originLps);
    expect(s1.direction).toEqual(s0.direction);
    expect(s1.metadata.patientName).toMatch(/^ANON-/);
    const [v0, v1] = [await loadSeries(s0), await loadSeries(s1)];
    expect(Buffer.compare(Buffer.from(v0.volume.hu.buffer), Buffer.from(v1.volume.hu.buffer))).toBe(0);
  }, 120_000);

  it('dcmdump reads the copies without errors or warnings', () => {
    for (const w of result.written.slice(0, 5)) {
      const r = spawnSync('dcmdump', ['-q', w.output], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stderr.trim()).toBe('');
    }
  });

  it('pulmolens deidentify --dates shift moves every date by one offset and prints progress', () => {
    const out = join(work, 'shift');
    const r = spawnSync(
      process.execPath,
      [join(repoRoot, 'bin/pulmolens.mjs'), 'deidentify', root, '--out', out, '--dates', 'shift'],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/de-identifying \[#+\] 134\/134/);
    const m = /dates: shift, (-?\d+) days/.exec(r.stderr);
    expect(m).not.toBeNull();
    const days = Number(m![1]);
    expect(days).toBeLessThan(0);
    const files = readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files).toHaveLength(133);
    const one = parse(join(files[0]!.parentPath, files[0]!.name)).ds;
    expect(one.string('x00080020')).toBe(shiftDate('DA', '20000101', days));
    expect(one.string('x00280303')).toBe('MODIFIED');
    // The export refuses a non-empty folder rather than mixing two exports.
    const again = spawnSync(
      process.execPath,
      [join(repoRoot, 'bin/pulmolens.mjs'), 'deidentify', root, '--out', out],
      {
        encoding: 'utf8',
      },
    );
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/not empty/);
    expect(() =>
      execFileSync(
        process.execPath,
        [
          join(repoRoot, 'bin/pulmolens.mjs'),
          'deidentify',
          root,
          '--out',
          join(work, 'x'),
          '--dates',
          'later',
        ],
        {
          stdio: 'pipe',
        },
      ),
    ).toThrow(/--dates must be one of remove, shift, keep/);
  }, 120_000);
});
