/**
 * Configuration is built at the entry points from their environment, in one place each: the
 * Electron main process (src/main/config.ts) and the CLI (src/cli/config.ts). Core code receives
 * the values as parameters.
 */
import { describe, expect, it } from 'vitest';
import { cliEnv } from '../../src/cli/config';
import { exportInferenceEnv, mainConfig } from '../../src/main/config';

const paths = {
  userData: '/home/r/.config/PulmoLens',
  appPath: '/opt/pulmolens/app',
  inferenceWorker: '/opt/w.js',
};

describe('entry-point configuration', () => {
  it('the app: paths from Electron, environment overrides for models and worker', () => {
    expect(mainConfig(paths, {})).toEqual({
      vaultDir: '/home/r/.config/PulmoLens/vault',
      modelsDir: '/opt/pulmolens/app/models',
      inferenceWorker: '/opt/w.js',
      dimseSettingsPath: '/home/r/.config/PulmoLens/dicom-network.json',
    });
    const c = mainConfig(paths, {
      PULMOLENS_MODELS_DIR: '/data/models',
      PULMOLENS_INFERENCE_WORKER: '/x/w.js',
    });
    expect([c.modelsDir, c.inferenceWorker]).toEqual(['/data/models', '/x/w.js']);
    const env: NodeJS.ProcessEnv = {};
    exportInferenceEnv(c, env);
    expect(env).toEqual({ PULMOLENS_INFERENCE_WORKER: '/x/w.js', PULMOLENS_MODELS_DIR: '/data/models' });
  });

  it('the CLI: vault folder and passphrases from the environment, empty meaning unset', () => {
    expect(
      cliEnv({ PULMOLENS_VAULT: '/v', PULMOLENS_PASSPHRASE: '', PULMOLENS_NEW_PASSPHRASE: 'n' }),
    ).toEqual({
      vaultDir: '/v',
      passphrase: undefined,
      newPassphrase: 'n',
    });
  });
});
