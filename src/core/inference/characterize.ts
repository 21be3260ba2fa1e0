/** Stage 2: the characterizer on every stage-1 candidate, in batches. */
import type { NoduleType } from '../../common/findings/findings-document';
import type { Vec3, Volume } from '../../common/volume';
import { cubeValues, extractCandidateCubes } from './cubes';
import type { ModelRuntime } from './runtime';

export interface Character {
  pNodule: number;
  type: NoduleType;
  spiculated: boolean;
}

const BATCH = 16;

export async function characterize(
  volume: Volume,
  centres: Vec3[],
  rt: ModelRuntime,
  progress: (stage: string, done: number, total: number) => void,
  check: () => void,
): Promise<Character[]> {
  const c = rt.manifest.characterizer;
  const per = cubeValues(c.inputs);
  const out: Character[] = [];
  const cubes = new Float32Array(BATCH * per);
  for (let s = 0; s < centres.length; s += BATCH) {
    check();
    progress('characterization', s, centres.length);
    const n = Math.min(BATCH, centres.length - s);
    for (let b = 0; b < n; b++)
      extractCandidateCubes(volume, centres[s + b]!, c.inputs, c.huWindow, cubes, b * per);
    const r = await rt.characterize(cubes.subarray(0, n * per), n);
    for (let b = 0; b < n; b++) {
      let best = 0;
      for (let t = 1; t < 3; t++) if (r.type[b * 3 + t]! > r.type[b * 3 + best]!) best = t;
      out.push({ pNodule: r.nodule[b]!, type: c.typeOrder[best]!, spiculated: r.spiculated[b]! >= 0.5 });
    }
  }
  progress('characterization', centres.length, centres.length);
  return out;
}
