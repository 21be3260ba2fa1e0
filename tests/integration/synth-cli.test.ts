import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { runSynth } from '../../src/cli/commands/synth';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'pulmolens-synth-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Slice {
  file: string;
  ds: dicomParser.DataSet;
  pos: number[];
}

function readSeries(dir: string): Slice[] {
  const files = readdirSync(join(dir, 'series')).sort();
  return files.map((f) => {
    const bytes = readFileSync(join(dir, 'series', f));
    const ds = dicomParser.parseDicom(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const pos = (ds.string('x00200032') ?? '').split('\\').map(Number);
    return { file: f, ds, pos };
  });
}

function huAt(s: Slice, i: number, j: number): number {
  const el = s.ds.elements.x7fe00010!;
  const cols = s.ds.uint16('x00280011')!;
  const px = new Uint16Array(s.ds.byteArray.buffer, s.ds.byteArray.byteOffset + el.dataOffset, el.length / 2);
  const slope = Number(s.ds.string('x00281053'));
  const intercept = Number(s.ds.string('x00281052'));
  return px[i + j * cols]! * slope + intercept;
}

describe('pulmolens synth', () => {
  it('writes a SYNTHETIC CT series whose geometry, HU and truth agree', async () => {
    const dir = tmp();
    const r = await runSynth({ out: dir, seed: '42', nodules: '5', size: 'small' });
    expect(r.nodules).toBe(5);
    const slices = readSeries(dir);
    expect(slices).toHaveLength(r.files);
    const first = slices[0]!.ds;
    expect(first.string('x00020010')).toBe('1.2.840.10008.1.2.1');
    expect(first.string('x00080016')).toBe('1.2.840.10008.5.1.4.1.1.2');
    expect(first.string('x00100010')).toBe('SYNTHETIC^PHANTOM');
    expect(first.string('x0008103e')).toContain('SYNTHETIC');
    expect(first.string('x00081030')).toContain('SYNTHETIC');
    expect(first.string('x00280301')).toBe('NO');
    expect(first.string('x00200037')).toBe('1\\0\\0\\0\\1\\0');
    const uids = new Set(slices.map((s) => s.ds.string('x00080018')));
    expect(uids.size).toBe(slices.length);
    expect(new Set(slices.map((s) => s.ds.string('x0020000e'))).size).toBe(1);

    // Slices are evenly spaced along z by SliceThickness, and x/y origin is constant.
    const thickness = Number(first.string('x00180050'));
    for (let k = 1; k < slices.length; k++) {
      expect(slices[k]!.pos[2]! - slices[k - 1]!.pos[2]!).toBeCloseTo(thickness, 4);
      expect(slices[k]!.pos[0]).toBe(slices[0]!.pos[0]);
    }
    const [rowSpacing, colSpacing] = (first.string('x00280030') ?? '').split('\\').map(Number) as [
      number,
      number,
    ];

    const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as {
      seriesInstanceUid: string;
      nodules: { centerLps: number[]; diameterMm: number; type: string; spiculated: boolean }[];
    };
    expect(truth.seriesInstanceUid).toBe(first.string('x0020000e'));
    const csv = readFileSync(join(dir, 'annotations.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('seriesuid,coordX,coordY,coordZ,diameter_mm');
    expect(csv).toHaveLength(truth.nodules.length + 1);

    // Each nodule centre read back from the DICOM pixels is denser than lung 3 radii away.
    for (const [n, line] of truth.nodules.map((t, q) => [t, csv[q + 1]!] as const)) {
      const [uid, x, y, z, d] = line.split(',');
      expect(uid).toBe(truth.seriesInstanceUid);
      expect([Number(x), Number(y), Number(z), Number(d)]).toEqual([...n.centerLps, n.diameterMm]);
      const k = Math.round((n.centerLps[2]! - slices[0]!.pos[2]!) / thickness);
      const i = Math.round((n.centerLps[0]! - slices[0]!.pos[0]!) / colSpacing);
      const j = Math.round((n.centerLps[1]! - slices[0]!.pos[1]!) / rowSpacing);
      const centre = huAt(slices[k]!, i, j);
      if (n.diameterMm >= 8) expect(centre).toBeGreaterThan(n.type === 'ground-glass' ? -750 : -300);
    }
    // Lung background in a nodule-free slice: most voxels under -500 HU sit near -850.
    const mid = slices[Math.floor(slices.length * 0.45)]!;
    const cols = mid.ds.uint16('x00280011')!;
    const rows = mid.ds.uint16('x00280010')!;
    let lung = 0;
    let lungSum = 0;
    for (let j = 0; j < rows; j++)
      for (let i = 0; i < cols; i++) {
        const h = huAt(mid, i, j);
        if (h > -960 && h < -600) {
          lung++;
          lungSum += h;
        }
      }
    expect(lung).toBeGreaterThan(cols * rows * 0.05);
    expect(lungSum / lung).toBeGreaterThan(-900);
    expect(lungSum / lung).toBeLessThan(-780);
  });

  it('is deterministic by seed: same seed gives identical files, another seed different UIDs', async () => {
    const a = tmp();
    const b = tmp();
    const c = tmp();
    await runSynth({ out: a, seed: '7', nodules: '3', size: 'small' });
    await runSynth({ out: b, seed: '7', nodules: '3', size: 'small' });
    await runSynth({ out: c, seed: '8', nodules: '3', size: 'small' });
    const files = readdirSync(join(a, 'series')).sort();
    for (const f of [files[0]!, files[files.length >> 1]!]) {
      expect(readFileSync(join(a, 'series', f)).equals(readFileSync(join(b, 'series', f)))).toBe(true);
    }
    expect(readFileSync(join(a, 'truth.json'), 'utf8')).toBe(readFileSync(join(b, 'truth.json'), 'utf8'));
    const uidOf = (d: string): string | undefined => readSeries(d)[0]!.ds.string('x0020000e');
    expect(uidOf(a)).not.toBe(uidOf(c));
  });

  it('refuses a bad seed with a typed error naming the option', async () => {
    await expect(runSynth({ out: tmp(), seed: 'abc', nodules: '1', size: 'small' })).rejects.toThrow(
      /--seed/,
    );
    await expect(runSynth({ out: tmp(), seed: '1', nodules: '1', size: 'huge' })).rejects.toThrow(/--size/);
  });
});

describe('pulmolens synth read back by the DICOM engine', () => {
  it('loads as one series with the phantom geometry and voxels', async () => {
    const { scanDicomInputs, loadSeries } = await import('../../src/core/dicom/index');
    const { generatePhantom } = await import('../../src/core/synth/index');
    const dir = tmp();
    await runSynth({ out: dir, seed: '3', nodules: '4', size: 'small' });
    const scan = await scanDicomInputs([join(dir, 'series')]);
    expect(scan.series).toHaveLength(1);
    const loaded = await loadSeries(scan.series[0]!);
    const phantom = generatePhantom({ seed: 3, nodules: 4, size: 'small' });
    expect(loaded.volume.dims).toEqual(phantom.volume.dims);
    loaded.volume.spacingMm.forEach((s, a) => expect(s).toBeCloseTo(phantom.volume.spacingMm[a]!, 4));
    loaded.volume.originLps.forEach((o, a) => expect(o).toBeCloseTo(phantom.volume.originLps[a]!, 3));
    // Voxel by voxel without toEqual, whose deep walk takes about a minute on a volume this size.
    expect(loaded.volume.hu.length).toBe(phantom.volume.hu.length);
    const firstDiff = loaded.volume.hu.findIndex((v, i) => v !== phantom.volume.hu[i]);
    expect(firstDiff, 'index of the first voxel that differs').toBe(-1);
    expect(loaded.series.metadata.patientName).toContain('SYNTHETIC');
  });
});
