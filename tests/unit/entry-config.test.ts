/**
 * Configuration is built at the entry points from their environment, in one place each: the
 * Electron main process (src/main/config.ts) and the CLI (src/cli/config.ts). Core code receives
 * the values as parameters.
 */
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { cliEnv, cliInferenceConfig } from '../../src/cli/config';
import { shippedModelsDir } from '../../src/core/inference/config';
import { mainConfig } from '../../src/main/config';

const paths = {
  userData: '/home/r/.config/PulmoLens',
  appPath: '/opt/pulmolens/app',
  inferenceWorker: '/opt/w.js',
  blobWorker: '/opt/b.js',
};

describe('entry-point configuration', () => {
  it('the app: paths from Electron, environment overrides for the inference config', () => {
    expect(mainConfig(paths, {})).toEqual({
      vaultDir: '/home/r/.config/PulmoLens/vault',
      dimseSettingsPath: '/home/r/.config/PulmoLens/dicom-network.json',
      inference: {
        modelsDir: '/opt/pulmolens/app/models',
        workerEntry: '/opt/w.js',
        blobWorkerEntry: '/opt/b.js',
        provider: 'auto',
        ortVerbose: false,
      },
    });
    const c = mainConfig(paths, {
      PULMOLENS_MODELS_DIR: '/data/models',
      PULMOLENS_INFERENCE_WORKER: '/x/w.js',
      PULMOLENS_EP: ' CPU ',
      PULMOLENS_ORT_VERBOSE: '1',
    });
    expect(c.inference).toEqual({
      modelsDir: '/data/models',
      workerEntry: '/x/w.js',
      blobWorkerEntry: '/opt/b.js',
      provider: 'cpu',
      ortVerbose: true,
    });
    expect(() => mainConfig(paths, { PULMOLENS_EP: 'tpu' })).toThrow(
      /PULMOLENS_EP=tpu is not one of auto, cuda/,
    );
  });

  it('the CLI inference config: flags over the environment over the shipped models', () => {
    expect(cliInferenceConfig({}, {})).toEqual({
      modelsDir: shippedModelsDir(),
      provider: 'auto',
      workerEntry: null,
      blobWorkerEntry: null,
      ortVerbose: false,
    });
    const env = { PULMOLENS_MODELS_DIR: '/env/models', PULMOLENS_EP: 'webgpu' };
    expect(cliInferenceConfig({}, env)).toMatchObject({ modelsDir: '/env/models', provider: 'webgpu' });
    expect(cliInferenceConfig({ models: 'rel/models', provider: 'cpu' }, env)).toMatchObject({
      modelsDir: resolve('rel/models'),
      provider: 'cpu',
    });
    expect(() => cliInferenceConfig({ provider: 'tpu' }, {})).toThrow(/--provider=tpu is not one of/);
  });

  it('the CLI: vault folder and passphrases from the environment, empty meaning unset', () => {
    expect(
      cliEnv({ PULMOLENS_VAULT: '/v', PULMOLENS_PASSPHRASE: '', PULMOLENS_NEW_PASSPHRASE: 'n' }),
    ).toEqual({
      vaultDir: '/v',
      passphrase: undefined,
      newPassphrase: 'n',
      recoveryCode: undefined,
      reader: undefined,
    });
  });
});
