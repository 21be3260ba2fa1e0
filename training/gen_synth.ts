/**
 * Writes synthetic training/evaluation volumes from the TypeScript phantom generator (the same
 * code as `pulmolens synth`) as raw little-endian int16 plus a JSON sidecar, for training/*.py.
 *
 *   node --import tsx training/gen_synth.ts --out training/runs/data/synth --seeds 1000-1023
 *
 * Scanner geometry varies with the seed (in-plane 0.6-0.9 mm, slices 1.0-2.5 mm, noise 10-20 HU)
 * so the networks see the range of real chest CT protocols after resampling to 1 mm.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { generatePhantom } from '../src/core/synth/index';
import { createRng } from '../src/core/synth/prng';

const args = process.argv.slice(2);
const arg = (name: string, dflt?: string): string => {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? args[i + 1] : dflt;
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
};
const out = arg('out');
const [lo, hi] = arg('seeds').split('-').map(Number) as [number, number];
const nodules = Number(arg('nodules', '8'));
mkdirSync(out, { recursive: true });
for (let seed = lo; seed <= hi; seed++) {
  const base = join(out, `seed-${seed}`);
  if (existsSync(`${base}.json`)) continue;
  const r = createRng(seed ^ 0x5eed);
  const sxy = Math.round(r.uniform(0.6, 0.9) * 1000) / 1000;
  const sz = r.pick([1.0, 1.25, 1.5, 2.0, 2.5]);
  const dims: [number, number, number] = [512, 512, Math.round(290 / sz)];
  const t0 = Date.now();
  const p = generatePhantom({
    seed,
    nodules,
    dims,
    spacingMm: [sxy, sxy, sz],
    noiseHu: r.uniform(10, 20),
    psfFwhmMm: r.uniform(0.9, 1.4),
  });
  const v = p.volume;
  writeFileSync(`${base}.i16`, Buffer.from(v.hu.buffer, v.hu.byteOffset, v.hu.byteLength));
  const meta = { seed, dims: v.dims, spacingMm: v.spacingMm, originLps: v.originLps, nodules: p.nodules };
  writeFileSync(`${base}.json`, JSON.stringify(meta));
  console.log(`seed ${seed}: ${v.dims.join('x')} @ ${v.spacingMm.join(',')} mm, ${p.nodules.length} nodules, ${Date.now() - t0} ms`);
}
