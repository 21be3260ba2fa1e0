import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSeries, scanDicomInputs, type LoadedSeries, type ScannedSeries } from '../../src/core/dicom';
import { voxelToWorld, worldToVoxel } from '../../src/common/volume';
import { lidcStudy, missingData, repoRoot } from '../support/shared-data';

const hasPydicom = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import pydicom, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasPydicom)
  console.warn('[skip] pydicom cross-check: /usr/bin/python3 lacks pydicom/numpy (run scripts/setup.sh)');

function pydicomReference(dir: string) {
  const out = execFileSync('/usr/bin/python3', [join(repoRoot, 'tests/support/pydicom_reference.py'), dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out) as {
    slices: number;
    spacingMm: number[];
    originLps: number[];
    huMin: number;
    huMax: number;
    huMean: number;
    seriesInstanceUid: string;
  };
}

for (const [id, expected] of [
  ['0001', { slices: 133, spacingZ: 2.5 }],
  ['0002', { slices: 261, spacingZ: 1.25 }],
] as const) {
  const missing = missingData(`ct/LIDC-IDRI-${id}.tar.xz`);
  describe.skipIf(missing)(`LIDC-IDRI-${id}`, () => {
    it('loads with the right slice count, spacing, origin and HU range (cross-checked with pydicom)', async () => {
      const { root } = lidcStudy(id);
      const scan = await scanDicomInputs([root]);
      expect(scan.series).toHaveLength(1);
      expect(scan.skipped.map((s) => s.path.split('/').pop())).toEqual(['reader-annotations.xml']);
      const l = await loadSeries(scan.series[0]!);
      expect(l.volume.dims).toEqual([512, 512, expected.slices]);
      expect(l.volume.spacingMm[2]).toBeCloseTo(expected.spacingZ, 3);
      expect(l.series.warnings).toEqual([]);
      if (hasPydicom) {
        const ref = pydicomReference(join(root, 'series'));
        expect(l.series.metadata.seriesInstanceUid).toBe(ref.seriesInstanceUid);
        expect(l.volume.dims[2]).toBe(ref.slices);
        l.volume.spacingMm.forEach((v, i) => expect(v).toBeCloseTo(ref.spacingMm[i]!, 4));
        l.volume.originLps.forEach((v, i) => expect(v).toBeCloseTo(ref.originLps[i]!, 4));
        expect(l.huMin).toBe(ref.huMin);
        expect(l.huMax).toBe(ref.huMax);
        expect(l.huMean).toBeCloseTo(ref.huMean, 2);
      }
      // voxel <-> world round trip, and the last slice sits (slices-1)*spacing along the normal.
      const far = voxelToWorld(l.volume, [511, 511, expected.slices - 1]);
      worldToVoxel(l.volume, far).forEach((v, i) =>
        expect(v).toBeCloseTo([511, 511, expected.slices - 1][i]!, 6),
      );
      const lastPos = l.series.frames[l.series.frames.length - 1]!.positionLps;
      expect(far[2]).toBeCloseTo(lastPos[2], 3);
    });
  });
}

describe.skipIf(missingData('ct/LIDC-IDRI-0001.tar.xz'))('series assembly on real slices', () => {
  it('sorts by position whatever the file names, reports a missing slice and keeps geometry exact', async () => {
    const { seriesDir } = lidcStudy('0001');
    const files = readdirSync(seriesDir).sort();
    const tmp = mkdtempSync(join(tmpdir(), 'pl-shuffle-'));
    // Reverse-sorted random-looking names: file order says nothing about slice order.
    files.forEach((f, i) => {
      if (i === 40) return; // drop one slice
      symlinkSync(join(seriesDir, f), join(tmp, `img-${(files.length - i) * 7919}`));
    });
    writeFileSync(join(tmp, 'notes.txt'), 'not dicom');
    const scan = await scanDicomInputs([tmp]);
    expect(scan.series).toHaveLength(1);
    const s = scan.series[0]!;
    expect(s.frames).toHaveLength(132);
    expect(s.slices).toBe(133);
    expect(s.warnings.join('\n')).toMatch(/missing 1 slice/);
    const z = s.frames.map((f) => f.positionLps[2]);
    expect([...z].sort((a, b) => a - b)).toEqual(z);
    expect(scan.skipped).toEqual([
      expect.objectContaining({ path: join(tmp, 'notes.txt'), code: 'DICOM_NOT_DICOM' }),
    ]);
    const full = await scanDicomInputs([seriesDir]);
    expect(s.originLps).toEqual(full.series[0]!.originLps);
    expect(s.spacingMm).toEqual(full.series[0]!.spacingMm);
  });

  /** The first 12 file names of LIDC-IDRI-0001: slices 5 to 57.5 mm apart, not in slice order. */
  async function scatteredSlices(): Promise<ScannedSeries> {
    const { seriesDir } = lidcStudy('0001');
    const tmp = mkdtempSync(join(tmpdir(), 'pl-scattered-'));
    for (const f of readdirSync(seriesDir).sort().slice(0, 12)) symlinkSync(join(seriesDir, f), join(tmp, f));
    return (await scanDicomInputs([tmp])).series[0]!;
  }

  /** Each frame's slot of `loaded` holds that file's own slice of the whole series. */
  async function expectOwnPixels(loaded: LoadedSeries): Promise<void> {
    const fullScan = (await scanDicomInputs([lidcStudy('0001').seriesDir])).series[0]!;
    const full = await loadSeries(fullScan, { workers: 0 });
    const s = loaded.series;
    const slice = s.rows * s.columns;
    expect(new Set(s.frames.map((f) => f.slot)).size).toBe(s.frames.length);
    expect(loaded.volume.dims[2]).toBe(s.slices);
    const slotOf = new Map(fullScan.frames.map((f) => [f.sopInstanceUid, f.slot]));
    for (const f of s.frames) {
      const own = slotOf.get(f.sopInstanceUid)!;
      const got = loaded.volume.hu.subarray(f.slot * slice, (f.slot + 1) * slice);
      const want = full.volume.hu.subarray(own * slice, (own + 1) * slice);
      expect(Buffer.from(got).equals(Buffer.from(want)), `${f.path} in slot ${f.slot}`).toBe(true);
    }
  }

  it('slices scattered along the series (the first 12 file names) each keep a slot and their own pixels', async () => {
    // On a grid of their median gap two pairs of these rounded onto one slot, one slice of each
    // pair lost and which one depending on which decode finished last.
    const s = await scatteredSlices();
    expect(s.frames).toHaveLength(12);
    expect(new Set(s.frames.map((f) => f.slot)).size).toBe(12);
    expect(s.warnings.join('\n')).toMatch(/stacked in order/);
    await expectOwnPixels(await loadSeries(s, { workers: 0 }));
  });

  it('a series stored with two slices in one slot (by the earlier layout) is laid out again when loaded', async () => {
    const s = await scatteredSlices();
    // What the earlier layout gave (and a vault keeps): the median-gap grid, clashes included.
    const z = s.frames.map((f) => f.positionLps[2]);
    const gaps = z.slice(1).map((v, i) => v - z[i]!);
    const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
    const frames = s.frames.map((f) => ({ ...f, slot: Math.round((f.positionLps[2] - z[0]!) / median) }));
    const stored: ScannedSeries = {
      ...s,
      frames,
      slices: frames[frames.length - 1]!.slot + 1,
      spacingMm: [s.spacingMm[0], s.spacingMm[1], median],
      warnings: ['uneven slice spacing: 10 gap(s) differ from the median 25.000 mm (min 5.000, max 57.500)'],
    };
    expect(new Set(frames.map((f) => f.slot)).size).toBeLessThan(12);
    for (const workers of [0, 2]) {
      const loaded = await loadSeries(stored, { workers });
      expect(loaded.series.frames.map((f) => f.slot)).toEqual(s.frames.map((f) => f.slot));
      expect(loaded.series.slices).toBe(12);
      expect(loaded.series.spacingMm).toEqual(s.spacingMm);
      expect(loaded.series.warnings).toEqual(s.warnings);
      await expectOwnPixels(loaded);
    }
  });

  it('a corrupt file in the series is skipped by name and the rest still imports', async () => {
    const { seriesDir } = lidcStudy('0001');
    const files = readdirSync(seriesDir).sort();
    const tmp = mkdtempSync(join(tmpdir(), 'pl-corrupt-'));
    files.forEach((f, i) => {
      if (i !== 10) symlinkSync(join(seriesDir, f), join(tmp, f));
    });
    const bad = join(tmp, files[10]!);
    const bytes = (await import('node:fs')).readFileSync(join(seriesDir, files[10]!));
    writeFileSync(bad, bytes.subarray(0, 3000)); // truncated inside the header
    const scan = await scanDicomInputs([tmp]);
    expect(scan.series[0]!.frames).toHaveLength(132);
    expect(scan.skipped).toEqual([expect.objectContaining({ path: bad, code: 'DICOM_MALFORMED' })]);
    expect(existsSync(bad)).toBe(true);
  });
});
