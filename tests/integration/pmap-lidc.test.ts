import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildParametricMap,
  PARAMETRIC_MAP_STORAGE,
  readDicom,
  type PmapResult,
} from '../../src/core/report';
import { voxelToWorld } from '../../src/common/volume';
import { missingData } from '../support/shared-data';
import { lidcFixture, LUNA16_NODULE, type LidcFixture } from './report-lidc-fixture';

type Rec = Record<string, unknown>;
const list = (v: unknown): Rec[] => (v === undefined ? [] : Array.isArray(v) ? (v as Rec[]) : [v as Rec]);

const hasPydicom = (() => {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import pydicom, numpy'], { stdio: 'ignore' });
  return r.status === 0;
})();

describe.skipIf(missingData('ct/LIDC-IDRI-0001.tar.xz'))('heatmap Parametric Map on LIDC-IDRI-0001', () => {
  let fx: LidcFixture;
  let pm: PmapResult;
  let ds: Rec;
  let work = '';
  let file = '';

  beforeAll(async () => {
    fx = await lidcFixture();
    pm = buildParametricMap(
      { metadata: fx.loaded.series.metadata, frames: fx.loaded.series.frames, document: fx.document },
      fx.heatmap,
    );
    ds = readDicom(pm.bytes);
    work = mkdtempSync(join(tmpdir(), 'pulmolens-pmap-'));
    file = join(work, 'heatmap-pmap.dcm');
    writeFileSync(file, pm.bytes);
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('shares the series frame of reference, grid, orientation and pixel spacing', () => {
    const md = fx.loaded.series.metadata;
    const [nx, ny, nz] = fx.loaded.volume.dims;
    expect(ds.SOPClassUID).toBe(PARAMETRIC_MAP_STORAGE);
    expect(ds.FrameOfReferenceUID).toBe(md.frameOfReferenceUid);
    expect(ds.StudyInstanceUID).toBe(md.studyInstanceUid);
    expect(Number(ds.NumberOfFrames)).toBe(nz);
    expect([ds.Columns, ds.Rows]).toEqual([nx, ny]);
    const shared = list(ds.SharedFunctionalGroupsSequence)[0]!;
    const measures = list(shared.PixelMeasuresSequence)[0]!;
    expect((measures.PixelSpacing as number[]).map(Number)).toEqual([0.703125, 0.703125]);
    expect(Number(measures.SpacingBetweenSlices)).toBeCloseTo(2.5, 6);
    const orientation = list(shared.PlaneOrientationSequence)[0]!.ImageOrientationPatient as number[];
    expect(orientation.map(Number)).toEqual(fx.loaded.volume.direction.slice(0, 6));
  });

  it('places every frame at its source slice (per-frame Image Position Patient)', () => {
    const perFrame = list(ds.PerFrameFunctionalGroupsSequence);
    expect(perFrame).toHaveLength(fx.loaded.volume.dims[2]);
    const bySlot = new Map(fx.loaded.series.frames.map((f) => [f.slot, f]));
    perFrame.forEach((frame, k) => {
      const ipp = (list(frame.PlanePositionSequence)[0]!.ImagePositionPatient as number[]).map(Number);
      const expected = voxelToWorld(fx.loaded.volume, [0, 0, k]);
      ipp.forEach((v, a) => expect(v).toBeCloseTo(expected[a]!, 3));
      // The source slice of the same position is the frame it derives from.
      const src = bySlot.get(k)!;
      src.positionLps.forEach((v, a) => expect(ipp[a]!).toBeCloseTo(v, 3));
      const ref = list(list(list(frame.DerivationImageSequence)[0]!.SourceImageSequence)[0]);
      expect(ref[0]!.ReferencedSOPInstanceUID).toBe(src.sopInstanceUid);
      expect(list(frame.FrameContentSequence)[0]!.DimensionIndexValues).toBe(k + 1);
    });
  });

  it('stores the heatmap values with a real world mapping to probability 0..1', () => {
    const rwvm = list(list(list(ds.SharedFunctionalGroupsSequence)[0]!.RealWorldValueMappingSequence))[0]!;
    expect(rwvm.RealWorldValueSlope).toBeCloseTo(1 / 255, 12);
    expect(rwvm.RealWorldValueIntercept).toBe(0);
    expect([rwvm.RealWorldValueFirstValueMapped, rwvm.RealWorldValueLastValueMapped]).toEqual([0, 255]);
    const pixels = new Uint16Array((ds.PixelData as ArrayBuffer[])[0]!);
    expect(pixels.length).toBe(fx.heatmap.data.length);
    let mismatches = 0;
    for (let v = 0; v < pixels.length; v++) if (pixels[v] !== fx.heatmap.data[v]) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('dcmdump reads it without errors or warnings', () => {
    const r = spawnSync('dcmdump', ['-q', '+P', '0020,0032', file], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.status).toBe(0);
    expect(r.stderr.trim()).toBe('');
    expect(r.stdout.trim().split('\n')).toHaveLength(fx.loaded.volume.dims[2]);
  });

  it.skipIf(!hasPydicom)('pydicom sees the hottest voxel at the LUNA16 nodule', () => {
    const script = [
      'import sys, json, numpy, pydicom',
      'ds = pydicom.dcmread(sys.argv[1])',
      'a = ds.pixel_array',
      'k, j, i = numpy.unravel_index(int(a.argmax()), a.shape)',
      'ipp = [float(x) for x in ds.PerFrameFunctionalGroupsSequence[k].PlanePositionSequence[0].ImagePositionPatient]',
      'sp = [float(x) for x in ds.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing]',
      'print(json.dumps({"shape": list(a.shape), "max": int(a.max()), "world": [ipp[0] + i * sp[1], ipp[1] + j * sp[0], ipp[2]]}))',
    ].join('\n');
    const out = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8', maxBuffer: 1 << 20 }),
    ) as { shape: number[]; max: number; world: number[] };
    expect(out.shape).toEqual([133, 512, 512]);
    expect(out.max).toBe(fx.heatmap.data.reduce((m, v) => Math.max(m, v), 0));
    const d = Math.hypot(...out.world.map((v, a) => v - LUNA16_NODULE.centerLps[a]!));
    expect(d).toBeLessThan(2.5); // within one slice of the annotated centre
  });
});
