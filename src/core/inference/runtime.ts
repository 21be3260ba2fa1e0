import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { PulmoLensError } from '../../common/errors';
import { loadManifest, readVerifiedModel, type DetectorSpec, type ModelManifest } from './manifest';
import type { ExecutionProviderName, ProviderChoice } from './config';
import { downsamplingFactor, freeSpatialDims, rewriteUpsampling } from './detector-graph';
import { openSession, providerOrder, type OpenedSession } from './providers';

export interface CharacterizerOutput {
  /** [n] */
  nodule: Float32Array;
  /** [n * 3] in the manifest's typeOrder */
  type: Float32Array;
  /** [n] */
  spiculated: Float32Array;
}

/**
 * One U-Net, verified and opened, as the sliding window (detect.ts) drives it: the session, the
 * provider it settled on and how it got there, and the form of its graph that runs.
 */
export interface DetectorPass extends OpenedSession {
  spec: DetectorSpec;
  /**
   * How many of its ConvTranspose upsamplings run in their faster equivalent form
   * (detector-graph.ts); 0 when the shipped graph runs as it is.
   */
  upsamplingRewritten: number;
  /**
   * It takes tiles of any Z, Y, X that are multiples of this (its downsampling factor); null: only
   * its manifest patchSize.
   */
  tileMultiple: number | null;
  /** One patch [z, y, x] in, its per-voxel probability out. */
  detect(patch: Float32Array, zyx: [number, number, number]): Promise<Float32Array>;
}

/** The manifest's models loaded, verified and bound to an execution provider; reused across scans. */
export interface ModelRuntime {
  manifest: ModelManifest;
  /** The stage-1 U-Net (its heatmap is the overlay and makes candidates). */
  detector: DetectorPass;
  /** The second U-Net of the manifest's score fusion (manifest.fusion), or null. */
  fusionDetector: DetectorPass | null;
  characterizer: OpenedSession;
  /** n candidates' cubes [n, channels, Z, Y, X] (see candidateCubes). */
  characterize(cubes: Float32Array, n: number): Promise<CharacterizerOutput>;
}

/** One form of the detector's graph the runtime may hand onnxruntime (best first). */
interface DetectorForm {
  bytes: Uint8Array;
  rewritten: number;
  tileMultiple: number | null;
}

function modelError(label: string, e: unknown): PulmoLensError {
  if (e instanceof PulmoLensError) return e;
  return new PulmoLensError(
    'MODEL_RUNTIME',
    `${label} failed to run: ${e instanceof Error ? e.message : String(e)}`,
    {
      cause: e,
    },
  );
}

/**
 * Opens a U-Net in the fastest form that runs: the same function in a form onnxruntime's CPU runs
 * faster (detector-graph.ts), its Z, Y, X left open so that larger tiles fitted to the lung fit
 * (detect.ts). Each form must open and run a tile (an open one: one downsampling step larger than
 * the patch on every axis), else the next is tried; last the shipped graph as it is: slower, never
 * wrong.
 */
async function openDetector(
  manifest: ModelManifest,
  d: DetectorSpec,
  bytes: Uint8Array,
  order: ExecutionProviderName[],
): Promise<DetectorPass> {
  const [pz, py, px] = d.patchSize;
  const path = join(manifest.dir, d.file);
  const run = async (s: ort.InferenceSession, data: Float32Array, zyx: [number, number, number]) => {
    const out = await s.run({ [d.inputName]: new ort.Tensor('float32', data, [1, 1, ...zyx]) });
    const t = out[d.outputName];
    if (!t) {
      throw new PulmoLensError('MODEL_MISMATCH', `detector ${d.file} has no output named ${d.outputName}`, {
        path,
      });
    }
    if (t.data.length !== data.length) {
      throw new PulmoLensError(
        'MODEL_MISMATCH',
        `detector ${d.file}: output ${d.outputName} has ${t.data.length} values for an input of ${data.length}`,
        { path },
      );
    }
    return t.data as Float32Array;
  };
  const factor = downsamplingFactor(bytes);
  const forms: DetectorForm[] = [];
  try {
    const up = rewriteUpsampling(bytes);
    const open = freeSpatialDims(up.bytes, [d.inputName, d.outputName]);
    const fits = [pz, py, px].every((n) => n % factor === 0);
    if (open.freed === 2 && fits)
      forms.push({ bytes: open.bytes, rewritten: up.rewritten, tileMultiple: factor });
    if (up.rewritten > 0) forms.push({ bytes: up.bytes, rewritten: up.rewritten, tileMultiple: null });
  } catch {
    // A graph the editor cannot read runs as shipped.
  }
  forms.push({ bytes, rewritten: 0, tileMultiple: null });
  const openForm = async (k: number): Promise<{ opened: OpenedSession; form: DetectorForm }> => {
    const form = forms[k]!;
    const m = form.tileMultiple ?? 0;
    const zyx: [number, number, number] = [pz + m, py + m, px + m];
    const probe = async (s: ort.InferenceSession) =>
      void (await run(s, new Float32Array(zyx[0] * zyx[1] * zyx[2]), zyx));
    try {
      return { opened: await openSession(form.bytes, order, probe, `detector ${d.file}`), form };
    } catch (e) {
      if (k === forms.length - 1) throw e;
      return openForm(k + 1);
    }
  };
  const { opened, form } = await openForm(0);
  return {
    ...opened,
    spec: d,
    upsamplingRewritten: form.rewritten,
    tileMultiple: form.tileMultiple,
    detect: async (patch, zyx) => {
      try {
        return await run(opened.session, patch, zyx);
      } catch (e) {
        throw modelError(`detector ${d.file}`, e);
      }
    },
  };
}

async function createRuntime(manifest: ModelManifest, choice: ProviderChoice): Promise<ModelRuntime> {
  const order = providerOrder(choice);
  const d = manifest.detector;
  const c = manifest.characterizer;
  const f = manifest.fusion?.detector ?? null;
  const [detBytes, charBytes, fusionBytes] = await Promise.all([
    readVerifiedModel(manifest, d),
    readVerifiedModel(manifest, c),
    f ? readVerifiedModel(manifest, f) : null,
  ]);
  const [cz, cy, cx] = c.inputs[0]!.cubeSize;
  const channels = c.inputs.length;
  if (c.inputs.some((i) => i.cubeSize.join() !== c.inputs[0]!.cubeSize.join())) {
    throw new PulmoLensError('MODEL_MISMATCH', 'characterizer inputs must share one cubeSize (one tensor)');
  }

  const charPath = join(manifest.dir, c.file);
  const runCharacterizer = async (s: ort.InferenceSession, data: Float32Array, n: number) => {
    const out = await s.run({ [c.inputName]: new ort.Tensor('float32', data, [n, channels, cz, cy, cx]) });
    const get = (name: string, per: number) => {
      const t = out[name];
      if (!t || t.data.length !== n * per) {
        throw new PulmoLensError(
          'MODEL_MISMATCH',
          `characterizer ${c.file}: output ${name} (named in manifest.json) is missing or not [${n},${per}]`,
          { path: charPath },
        );
      }
      return t.data as Float32Array;
    };
    return {
      nodule: get(c.outputs.nodule, 1),
      type: get(c.outputs.type, 3),
      spiculated: get(c.outputs.spiculated, 1),
    };
  };

  const detector = await openDetector(manifest, d, detBytes, order);
  // The other models go to the provider the detector settled on, then the CPU.
  const rest: ExecutionProviderName[] = detector.provider === 'cpu' ? ['cpu'] : [detector.provider, 'cpu'];
  const fusionDetector = f && fusionBytes ? await openDetector(manifest, f, fusionBytes, rest) : null;
  const characterizer = await openSession(
    charBytes,
    rest,
    async (s) => void (await runCharacterizer(s, new Float32Array(channels * cz * cy * cx), 1)),
    `characterizer ${c.file}`,
  );
  return {
    manifest,
    detector,
    fusionDetector,
    characterizer,
    characterize: async (cubes, n) => {
      try {
        return await runCharacterizer(characterizer.session, cubes, n);
      } catch (e) {
        throw modelError(`characterizer ${c.file}`, e);
      }
    },
  };
}

const runtimes = new Map<string, Promise<ModelRuntime>>();

/**
 * The runtime for a models folder and provider choice, created once per process (per worker) and
 * reused. The key holds the manifest's hashes, so shipping new models opens new sessions.
 */
export async function getRuntime(modelsDir: string, choice: ProviderChoice = 'auto'): Promise<ModelRuntime> {
  const manifest = await loadManifest(modelsDir);
  const key = [
    manifest.dir,
    manifest.detector.sha256,
    manifest.characterizer.sha256,
    manifest.fusion?.detector.sha256 ?? '',
    providerOrder(choice).join(','),
  ].join('|');
  let p = runtimes.get(key);
  if (!p) {
    p = createRuntime(manifest, choice);
    runtimes.set(key, p);
    p.catch(() => runtimes.delete(key));
  }
  return p;
}

/** Releases every cached session (tests, and before a worker exits). */
export async function releaseRuntimes(): Promise<void> {
  const all = [...runtimes.values()];
  runtimes.clear();
  for (const p of all) {
    const r = await p.catch(() => null);
    if (r) {
      await r.detector.session.release().catch(() => undefined);
      await r.fusionDetector?.session.release().catch(() => undefined);
      await r.characterizer.session.release().catch(() => undefined);
    }
  }
}
