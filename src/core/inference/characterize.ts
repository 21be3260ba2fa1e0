/** Stage 2: the characterizer on every stage-1 candidate, in batches. */
import type { NoduleType } from '../../common/findings/findings-document';
import type { Vec3, Volume } from '../../common/volume';
import { extractCubesOnCores } from './blob-pool';
import { cubeValues } from './cubes';
import type { ModelRuntime } from './runtime';

export interface Character {
  pNodule: number;
  type: NoduleType;
  spiculated: boolean;
}

/**
 * Candidates per model run. The ensemble's graph has ~770 small nodes, so onnxruntime's per-node
 * cost weighs on small batches: 1,600 real cubes of LIDC-IDRI-0002 took 1.96-1.97 s at 64 and
 * 1.97-2.81 s at 16 (2 threads, session 24). A candidate's scores do not depend on its batch
 * (characterize-batch.test.ts).
 */
export const CHARACTERIZER_BATCH = 64;
/** Candidates whose cubes are made at once (on every core) before the model scores them. */
const CHUNK = 256;

export async function characterize(
  volume: Volume,
  centres: Vec3[],
  rt: ModelRuntime,
  progress: (stage: string, done: number, total: number) => void,
  check: () => void,
  opts: { threads?: number; batch?: number } = {},
): Promise<Character[]> {
  const batch = opts.batch ?? CHARACTERIZER_BATCH;
  const c = rt.manifest.characterizer;
  const per = cubeValues(c.inputs);
  const out: Character[] = [];
  // The cubes of a chunk are made on every core into shared memory; the model reads them batch
  // by batch from a plain buffer (onnxruntime wants its own memory).
  const chunk = new Float32Array(
    new SharedArrayBuffer(Math.min(CHUNK, Math.max(1, centres.length)) * per * 4),
  );
  const cubes = new Float32Array(batch * per);
  for (let s0 = 0; s0 < centres.length; s0 += CHUNK) {
    const part = centres.slice(s0, s0 + CHUNK);
    check();
    await extractCubesOnCores(volume, part, c.inputs, c.huWindow, chunk, {
      threads: opts.threads,
      checkCancelled: check,
    });
    for (let s = 0; s < part.length; s += batch) {
      check();
      progress('characterization', s0 + s, centres.length);
      const n = Math.min(batch, part.length - s);
      cubes.set(chunk.subarray(s * per, (s + n) * per));
      const r = await rt.characterize(cubes.subarray(0, n * per), n);
      for (let b = 0; b < n; b++) {
        let best = 0;
        for (let t = 1; t < 3; t++) if (r.type[b * 3 + t]! > r.type[b * 3 + best]!) best = t;
        out.push({ pNodule: r.nodule[b]!, type: c.typeOrder[best]!, spiculated: r.spiculated[b]! >= 0.5 });
      }
    }
  }
  progress('characterization', centres.length, centres.length);
  return out;
}
