/**
 * The environment variables the `pulmolens` command honours, read in this one place. Scripts set
 * them instead of flags (a passphrase never travels as an argument: it would show in `ps`).
 */
export interface CliEnv {
  /** PULMOLENS_VAULT: the vault folder when --vault is not given. */
  vaultDir: string | undefined;
  /** PULMOLENS_PASSPHRASE: the vault passphrase (or the new one at create). */
  passphrase: string | undefined;
  /** PULMOLENS_NEW_PASSPHRASE: the replacement passphrase of `vault passphrase`. */
  newPassphrase: string | undefined;
}

export type PassphraseSource = 'PULMOLENS_PASSPHRASE' | 'PULMOLENS_NEW_PASSPHRASE';

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

export function cliEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  return {
    vaultDir: nonEmpty(env.PULMOLENS_VAULT),
    passphrase: nonEmpty(env.PULMOLENS_PASSPHRASE),
    newPassphrase: nonEmpty(env.PULMOLENS_NEW_PASSPHRASE),
  };
}
