/**
 * How a process runs inference, built once by its entry point (the CLI, the Electron main process,
 * the test host) from its flags and environment and handed down as an object. Nothing under
 * src/core reads the environment.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PulmoLensError } from '../../common/errors';

export const EXECUTION_PROVIDERS = ['cuda', 'tensorrt', 'dml', 'coreml', 'webgpu', 'cpu'] as const;
export type ExecutionProviderName = (typeof EXECUTION_PROVIDERS)[number];
/** 'auto' tries the platform's GPU providers first, then the CPU. */
export type ProviderChoice = ExecutionProviderName | 'auto';

export function isProviderChoice(s: string): s is ProviderChoice {
  return s === 'auto' || (EXECUTION_PROVIDERS as readonly string[]).includes(s);
}

/** Which models a run uses and where it runs them; one job's share of the InferenceConfig. */
export interface ModelChoice {
  /** Folder with manifest.json and the model files. */
  modelsDir: string;
  provider: ProviderChoice;
}

export interface InferenceConfig extends ModelChoice {
  /** The built inference worker entry (the bundled app); null: the worker next to these sources. */
  workerEntry: string | null;
  /** The built blob worker entry (the bundled app); null: the worker next to these sources. */
  blobWorkerEntry: string | null;
  /** Let onnxruntime print its own log; off, failed GPU attempts are reported by us alone. */
  ortVerbose: boolean;
}

/** The models shipped with the sources: `models/` at the repository root (this file is src/core/inference/). */
export function shippedModelsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models');
}

/** The shipped models on the platform's best provider, unless the entry point says otherwise. */
export function inferenceConfig(overrides: Partial<InferenceConfig> = {}): InferenceConfig {
  return {
    modelsDir: shippedModelsDir(),
    provider: 'auto',
    workerEntry: null,
    blobWorkerEntry: null,
    ortVerbose: false,
    ...overrides,
  };
}

/** A provider name from a flag or an environment variable; `source` names which, for the error. */
export function parseProviderChoice(text: string, source: string): ProviderChoice {
  const p = text.trim().toLowerCase();
  if (!isProviderChoice(p)) {
    throw new PulmoLensError(
      'INVALID_INPUT',
      `${source}=${text} is not one of auto, ${EXECUTION_PROVIDERS.join(', ')}`,
    );
  }
  return p;
}

/**
 * The environment overrides an entry point honours, read by the entry point (never by core):
 * PULMOLENS_MODELS_DIR, PULMOLENS_EP, PULMOLENS_ORT_VERBOSE, PULMOLENS_INFERENCE_WORKER.
 */
export function inferenceEnvOverrides(
  env: Readonly<Record<string, string | undefined>>,
): Partial<InferenceConfig> {
  const o: Partial<InferenceConfig> = {};
  if (env.PULMOLENS_MODELS_DIR) o.modelsDir = resolve(env.PULMOLENS_MODELS_DIR);
  if (env.PULMOLENS_EP) o.provider = parseProviderChoice(env.PULMOLENS_EP, 'PULMOLENS_EP');
  if (env.PULMOLENS_ORT_VERBOSE) o.ortVerbose = true;
  if (env.PULMOLENS_INFERENCE_WORKER) o.workerEntry = env.PULMOLENS_INFERENCE_WORKER;
  return o;
}
