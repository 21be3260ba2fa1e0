/**
 * A hand-built analysis of LIDC-IDRI-0001 for the report tests: the real series and HU volume, a
 * findings document with the LUNA16 nodule (plus one false candidate) and a Gaussian heatmap
 * around the nodule, so the report formats are tested on real geometry without running the models.
 */
import { loadSeries, scanDicomInputs, type LoadedSeries } from '../../src/core/dicom';
import { brockRisk } from '../../src/common/findings/brock';
import type { Finding, FindingsDocument } from '../../src/common/findings/findings-document';
import { fleischnerRecommendation } from '../../src/common/findings/fleischner';
import { lungRadsCategory } from '../../src/common/findings/lung-rads';
import type { Heatmap } from '../../src/core/inference/pipeline';
import { voxelToWorld, worldToVoxel, type Vec3 } from '../../src/common/volume';
import { lidcStudy } from '../support/shared-data';

/** LUNA16 annotation of LIDC-IDRI-0001 (luna16-annotations.csv). */
export const LUNA16_NODULE = {
  centerLps: [56.20840547, 86.34341278, -115.8675792] as Vec3,
  diameterMm: 23.35064438,
};

export interface LidcFixture {
  loaded: LoadedSeries;
  document: FindingsDocument;
  heatmap: Heatmap;
}

function finding(
  loaded: LoadedSeries,
  id: string,
  world: Vec3,
  long: number,
  short: number,
  probability: number,
): Finding {
  const v = worldToVoxel(loaded.volume, world).map(Math.round) as Vec3;
  const d = (long + short) / 2;
  return {
    id,
    centerLps: voxelToWorld(loaded.volume, v).map((x) => Math.round(x * 1000) / 1000) as Vec3,
    centerVoxel: v,
    probability,
    diameterMm: Math.round(d * 10) / 10,
    longAxisMm: long,
    shortAxisMm: short,
    volumeMm3: Math.round((Math.PI / 6) * d ** 3 * 10) / 10,
    meanHu: -20,
    type: 'solid',
    spiculated: false,
    malignancyRisk:
      Math.round(
        brockRisk({
          ageYears: 62,
          sex: 'male',
          familyHistory: false,
          emphysema: false,
          noduleSizeMm: long,
          type: 'solid',
          upperLobe: false,
          noduleCount: 2,
          spiculated: false,
        }) * 1e4,
      ) / 1e4,
    lungRads: lungRadsCategory({ type: 'solid', meanDiameterMm: d }),
    fleischner: fleischnerRecommendation({
      type: 'solid',
      meanDiameterMm: d,
      multiple: true,
      risk: 'unknown',
    }),
  };
}

let cached: Promise<LidcFixture> | null = null;

export function lidcFixture(): Promise<LidcFixture> {
  cached ??= (async () => {
    const { root } = lidcStudy('0001');
    const scan = await scanDicomInputs([root]);
    const loaded = await loadSeries(scan.series[0]!);
    const vol = loaded.volume;
    const nodule = finding(loaded, 'F001', LUNA16_NODULE.centerLps, 25.1, 21.3, 0.93);
    // A false candidate in the other lung, 60 mm across the midline.
    const other = finding(loaded, 'F002', [-60, 60, -115.87], 5.2, 4.1, 0.62);
    const [nx, ny, nz] = vol.dims;
    const data = new Uint8Array(nx * ny * nz);
    const sigma = LUNA16_NODULE.diameterMm / 3;
    const c = worldToVoxel(vol, LUNA16_NODULE.centerLps);
    const [sx, sy, sz] = vol.spacingMm;
    const r = Math.ceil(2.5 * sigma);
    for (let k = Math.max(0, Math.floor(c[2] - r / sz)); k <= Math.min(nz - 1, Math.ceil(c[2] + r / sz)); k++)
      for (
        let j = Math.max(0, Math.floor(c[1] - r / sy));
        j <= Math.min(ny - 1, Math.ceil(c[1] + r / sy));
        j++
      )
        for (
          let i = Math.max(0, Math.floor(c[0] - r / sx));
          i <= Math.min(nx - 1, Math.ceil(c[0] + r / sx));
          i++
        ) {
          const d2 = ((i - c[0]) * sx) ** 2 + ((j - c[1]) * sy) ** 2 + ((k - c[2]) * sz) ** 2;
          data[i + j * nx + k * nx * ny] = Math.round(250 * Math.exp(-d2 / (2 * sigma * sigma)));
        }
    const document: FindingsDocument = {
      seriesInstanceUid: loaded.series.metadata.seriesInstanceUid,
      model: {
        name: 'pulmolens-detector',
        version: '0.1.0',
        sha256: '3f1c9a0b7d2e4f6a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a',
      },
      characterizer: {
        name: 'pulmolens-characterizer',
        version: '0.2.0',
        sha256: '7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b',
      },
      executionProvider: 'cpu',
      timingsMs: {},
      findings: [nodule, other],
      imageNoise: {
        sigmaMm: 1,
        softTissueHu: [-150, 150],
        measured: true,
        patches: 97,
        softTissueSdHu: 44.5,
        noduleScaleSdHu: 16,
        validatedMaxHu: 11.21,
        aboveValidated: true,
      },
      warnings: [
        'image noise above what the models were validated at (a low-dose or noisy series): expect more false positives (this series: 16 HU SD at nodule scale, validated up to 11.21 HU; 44.5 HU in soft tissue)',
      ],
    };
    return {
      loaded,
      document,
      heatmap: {
        data,
        dims: vol.dims,
        spacingMm: vol.spacingMm,
        originLps: vol.originLps,
        direction: vol.direction,
      },
    };
  })();
  return cached;
}
