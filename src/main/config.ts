/**
 * The Electron app's configuration, built once at start-up: where the vault and the shipped models
 * are, and which inference worker entry to run. This is the only place the main process reads
 * environment overrides; everything else receives these values as parameters.
 */
import { join } from 'node:path';

export interface MainConfig {
  /** The vault folder (per-user application data). */
  vaultDir: string;
  /** DICOM network settings (AE titles, ports, peers; no patient data). */
  dimseSettingsPath: string;
  /** The models folder with manifest.json (override: PULMOLENS_MODELS_DIR). */
  modelsDir: string;
  /** The built inference worker entry (override: PULMOLENS_INFERENCE_WORKER). */
  inferenceWorker: string;
}

export interface AppPaths {
  userData: string;
  appPath: string;
  inferenceWorker: string;
}

export function mainConfig(paths: AppPaths, env: NodeJS.ProcessEnv = process.env): MainConfig {
  return {
    vaultDir: join(paths.userData, 'vault'),
    dimseSettingsPath: join(paths.userData, 'dicom-network.json'),
    modelsDir: env.PULMOLENS_MODELS_DIR || join(paths.appPath, 'models'),
    inferenceWorker: env.PULMOLENS_INFERENCE_WORKER || paths.inferenceWorker,
  };
}

/**
 * src/core/inference still locates its worker entry (and, when no folder is passed, the models)
 * through these two variables; until it takes them as parameters, the config is handed on here.
 */
export function exportInferenceEnv(config: MainConfig, env: NodeJS.ProcessEnv = process.env): void {
  env.PULMOLENS_INFERENCE_WORKER = config.inferenceWorker;
  env.PULMOLENS_MODELS_DIR = config.modelsDir;
}
