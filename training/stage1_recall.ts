/**
 * Stage-1 sensitivity: the share of nodules >= 4 mm that become a stage-1 candidate (LUNA16 hit
 * rule: candidate centre within the nodule's radius), and the candidates per scan, on held-out
 * synthetic phantoms (the same generator settings as gen_synth.ts) and on LIDC-IDRI-0001's LUNA16
 * nodule. Uses the runtime's own stage 1 (runStage1) with the given models.
 *
 *   node --import tsx training/stage1_recall.ts --out stage1-recall.json [--seeds 9000-9005] [--models DIR] [--lidc DIR]
 */
import { writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { shippedModelsDir } from '../src/core/inference/config';
import { getRuntime, releaseRuntimes } from '../src/core/inference/runtime';
import { runStage1, type Stage1Candidate } from '../src/core/inference/stage1';
import { defaultTiling } from '../src/core/inference/detect';
import { generatePhantom } from '../src/core/synth/index';
import { createRng } from '../src/core/synth/prng';
import { worldToVoxel, type Vec3, type Volume } from '../src/common/volume';

const args = process.argv.slice(2);
const arg = (name: string, dflt?: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const out = resolve(arg('out', 'stage1-recall.json')!);
const [lo, hi] = arg('seeds', '9000-9005')!.split('-').map(Number) as [number, number];
const models = arg('models');
const lidc = arg('lidc');

interface Truth {
  voxel: Vec3;
  diameterMm: number;
  label: string;
}

const hits = (cands: Stage1Candidate[], t: Truth, v: Volume, pred: (c: Stage1Candidate) => boolean) =>
  cands.some(
    (c) =>
      pred(c) &&
      Math.hypot(...c.centre.map((x, a) => (x - t.voxel[a]!) * v.spacingMm[a]!)) <= t.diameterMm / 2,
  );

async function main(): Promise<void> {
  const rt = await getRuntime(models ?? shippedModelsDir(), 'cpu');
  const scans: Array<Record<string, unknown>> = [];
  const run = async (name: string, volume: Volume, truths: Truth[]) => {
    const t0 = performance.now();
    const timings: Record<string, number> = {};
    let last = t0;
    const s1 = await runStage1(volume, rt, {
      tiling: defaultTiling('cpu'),
      lap: (n) => {
        const now = performance.now();
        timings[n] = Math.round(now - last);
        last = now;
      },
    });
    const c = s1.candidates;
    const rows = truths.map((t) => ({
      ...t,
      union: hits(c, t, volume, () => true),
      blob: hits(c, t, volume, (x) => x.source !== 'unet'),
      unet: hits(c, t, volume, (x) => x.source !== 'blob'),
    }));
    const r = {
      scan: name,
      spacingMm: volume.spacingMm,
      candidates: c.length,
      bySource: { blob: 0, unet: 0, both: 0 },
      allBlobMaxima: s1.blobs.length,
      timingsMs: timings,
      nodules: rows,
    };
    r.bySource = Object.fromEntries(
      (['blob', 'unet', 'both'] as const).map((k) => [k, c.filter((x) => x.source === k).length]),
    ) as typeof r.bySource;
    scans.push(r);
    process.stderr.write(
      `${name}: ${c.length} candidates, ${rows.filter((x) => x.union).length}/${rows.length} nodules hit, ${Math.round(performance.now() - t0)} ms\n`,
    );
    save();
  };
  const save = () => {
    const all = scans.flatMap((s) => (s.nodules as Array<{ diameterMm: number; union: boolean; blob: boolean; unet: boolean }>).filter((n) => n.diameterMm >= 4));
    const frac = (k: 'union' | 'blob' | 'unet') => (all.length ? all.filter((n) => n[k]).length / all.length : null);
    const summary = {
      measuredBy: 'training/stage1_recall.ts (runStage1 of src/core/inference, LUNA16 hit rule)',
      // Relative to the working directory: the file is committed, a machine's absolute path means nothing.
      models: relative(process.cwd(), rt.manifest.dir) || '.',
      nodulesAtLeast4mm: all.length,
      recall: { union: frac('union'), blobOnly: frac('blob'), unetOnly: frac('unet') },
      candidatesPerScan: scans.length ? scans.reduce((a, s) => a + (s.candidates as number), 0) / scans.length : null,
      scans,
    };
    writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
  };
  if (lidc) {
    const scan = await scanDicomInputs([lidc]);
    const series = [...scan.series].sort((a, b) => b.slices - a.slices)[0]!;
    const { volume } = await loadSeries(series);
    // LUNA16's one nodule of LIDC-IDRI-0001 (luna16-annotations.csv).
    const world: Vec3 = [56.20840547, 86.34341278, -115.8675792];
    await run('LIDC-IDRI-0001', volume, [{ voxel: worldToVoxel(volume, world), diameterMm: 23.35064438, label: 'LUNA16' }]);
  }
  for (let seed = lo; seed <= hi; seed++) {
    const r = createRng(seed ^ 0x5eed);
    const sxy = Math.round(r.uniform(0.6, 0.9) * 1000) / 1000;
    const sz = r.pick([1.0, 1.25, 1.5, 2.0, 2.5]);
    const p = generatePhantom({
      seed,
      nodules: 8,
      dims: [512, 512, Math.round(290 / sz)],
      spacingMm: [sxy, sxy, sz],
      noiseHu: r.uniform(10, 20),
      psfFwhmMm: r.uniform(0.9, 1.4),
    });
    await run(
      `phantom-${seed}`,
      p.volume,
      p.nodules.map((n) => ({ voxel: n.centerVoxel, diameterMm: n.diameterMm, label: `${n.type} ${n.location}` })),
    );
  }
  await releaseRuntimes();
}

main().catch((e: unknown) => {
  process.stderr.write(`stage1_recall: ${(e as Error).message}\n`);
  process.exit(1);
});
