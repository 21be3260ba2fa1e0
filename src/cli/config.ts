/**
 * The environment variables the `pulmolens` command honours, read in this one place. Scripts set
 * them instead of flags (a passphrase never travels as an argument: it would show in `ps`).
 */
import { resolve } from 'node:path';
import {
  inferenceConfig,
  inferenceEnvOverrides,
  parseProviderChoice,
  type InferenceConfig,
} from '../core/inference/config';

export interface CliEnv {
  /** PULMOLENS_VAULT: the vault folder when --vault is not given. */
  vaultDir: string | undefined;
  /** PULMOLENS_PASSPHRASE: the vault passphrase (or the new one at create). */
  passphrase: string | undefined;
  /** PULMOLENS_NEW_PASSPHRASE: the replacement passphrase of `vault passphrase`. */
  newPassphrase: string | undefined;
  /** PULMOLENS_RECOVERY_CODE: the recovery code of `vault recover`. */
  recoveryCode: string | undefined;
  /** PULMOLENS_READER: who acts (NAME or NAME:ID) when --reader is not given. */
  reader: string | undefined;
}

export type PassphraseSource = 'PULMOLENS_PASSPHRASE' | 'PULMOLENS_NEW_PASSPHRASE';

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

export function cliEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  return {
    vaultDir: nonEmpty(env.PULMOLENS_VAULT),
    passphrase: nonEmpty(env.PULMOLENS_PASSPHRASE),
    newPassphrase: nonEmpty(env.PULMOLENS_NEW_PASSPHRASE),
    recoveryCode: nonEmpty(env.PULMOLENS_RECOVERY_CODE),
    reader: nonEmpty(env.PULMOLENS_READER),
  };
}

/**
 * The inference configuration of one command: --models and --provider first, then the
 * environment (PULMOLENS_MODELS_DIR, PULMOLENS_EP, PULMOLENS_ORT_VERBOSE), then the shipped models.
 */
export function cliInferenceConfig(
  flags: { models?: string | undefined; provider?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): InferenceConfig {
  return inferenceConfig({
    ...inferenceEnvOverrides(env),
    ...(flags.models ? { modelsDir: resolve(flags.models) } : {}),
    ...(flags.provider !== undefined ? { provider: parseProviderChoice(flags.provider, '--provider') } : {}),
  });
}
