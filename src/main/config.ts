/**
 * The Electron app's configuration, built once at start-up: where the vault and the shipped models
 * are, and which inference worker entry to run. This is the only place the main process reads
 * environment overrides; everything else receives these values as parameters.
 */
import { join } from 'node:path';
import { inferenceConfig, inferenceEnvOverrides, type InferenceConfig } from '../core/inference/config';

export interface MainConfig {
  /** The vault folder (per-user application data). */
  vaultDir: string;
  /** DICOM network settings (AE titles, ports, peers; no patient data). */
  dimseSettingsPath: string;
  /**
   * Models next to the app, the built worker entries, provider auto; overrides PULMOLENS_MODELS_DIR,
   * PULMOLENS_INFERENCE_WORKER, PULMOLENS_EP, PULMOLENS_ORT_VERBOSE.
   */
  inference: InferenceConfig;
}

export interface AppPaths {
  userData: string;
  appPath: string;
  inferenceWorker: string;
  blobWorker: string;
}

export function mainConfig(paths: AppPaths, env: NodeJS.ProcessEnv = process.env): MainConfig {
  return {
    vaultDir: join(paths.userData, 'vault'),
    dimseSettingsPath: join(paths.userData, 'dicom-network.json'),
    inference: inferenceConfig({
      modelsDir: join(paths.appPath, 'models'),
      workerEntry: paths.inferenceWorker,
      blobWorkerEntry: paths.blobWorker,
      ...inferenceEnvOverrides(env),
    }),
  };
}
