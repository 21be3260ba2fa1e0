import { useEffect, useState, type FormEvent } from 'react';
import type { IpcError } from '../../shared/ipc-contract';
import { MIN_PASSPHRASE_LENGTH, passphraseProblem, type VaultStatus } from '../../shared/vault-contract';
import { purgeViewerCaches, useVault, vaultStore } from '../vault';
import './lock-screen.css';

/** What the user should read for an error from create/unlock. */
function explain(e: IpcError): string {
  switch (e.code) {
    case 'VAULT_WRONG_PASSPHRASE':
      return 'Wrong passphrase. The vault stays locked; nothing was changed.';
    case 'VAULT_KEYCHAIN_REFUSED':
      return `The OS keychain could not unlock the vault: ${e.message}. Use your passphrase.`;
    case 'VAULT_BUSY':
      return 'The vault is in use by another PulmoLens process. Close it and try again.';
    case 'VAULT_CORRUPT':
      return `The vault is damaged: ${e.message}${e.path ? ` (${e.path})` : ''}.`;
    case 'IPC_INVALID_PAYLOAD':
      return e.issues?.length ? e.issues.map((i) => i.message).join('; ') : e.message;
    default:
      return `${e.message}${e.path ? ` (${e.path})` : ''}`;
  }
}

function KeychainNote({ status }: { status: VaultStatus }) {
  const k = status.keychain;
  if (k.weak && k.enabled) {
    return (
      <p className="lock-note" data-testid="keychain-weak">
        You accepted the weaker keychain backend <code>{k.backend}</code> for this vault: anyone with a copy
        of this disk can unlock it without the passphrase.
      </p>
    );
  }
  if (k.weak) {
    return (
      <p className="lock-note" data-testid="keychain-refused">
        Unlock without passphrase is off: this system’s keychain backend is <code>{k.backend}</code>, which
        stores secrets with a fixed key, so anyone with a copy of the disk could unlock the vault.
      </p>
    );
  }
  return null;
}

function CreateForm() {
  const busy = useVault((s) => s.busy);
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');
  const problem = passphrase ? passphraseProblem(passphrase) : null;
  const mismatch = confirm !== '' && confirm !== passphrase;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void vaultStore
      .getState()
      .create(passphrase, confirm)
      .then((ok) => {
        if (ok) {
          setPassphrase('');
          setConfirm('');
        }
      });
  };
  return (
    <form className="lock-form" onSubmit={submit}>
      <h1>Create your PulmoLens vault</h1>
      <p className="muted">
        Studies, results, reports and the audit trail are kept encrypted on this device. Choose a passphrase
        of at least {MIN_PASSPHRASE_LENGTH} characters; it cannot be recovered if lost.
      </p>
      <label>
        Passphrase
        <input
          type="password"
          autoFocus
          autoComplete="new-password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
        />
      </label>
      {problem && <div className="lock-hint warn">{problem}</div>}
      <label>
        Confirm passphrase
        <input
          type="password"
          autoComplete="new-password"
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
        />
      </label>
      {mismatch && <div className="lock-hint warn">The two passphrases differ.</div>}
      <button type="submit" disabled={busy || !passphrase || !confirm}>
        {busy ? 'Creating…' : 'Create vault'}
      </button>
    </form>
  );
}

function UnlockForm({ status, lockedBy }: { status: VaultStatus; lockedBy: string | null }) {
  const busy = useVault((s) => s.busy);
  const [passphrase, setPassphrase] = useState('');
  const k = status.keychain;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void vaultStore
      .getState()
      .unlock(passphrase)
      .then((ok) => ok && setPassphrase(''));
  };
  return (
    <form className="lock-form" onSubmit={submit}>
      <h1>PulmoLens is locked</h1>
      {lockedBy === 'idle' && (
        <p className="muted" data-testid="locked-idle">
          Locked after {status.idleMinutes} minutes without activity.
        </p>
      )}
      <label>
        Passphrase
        <input
          type="password"
          autoFocus
          autoComplete="current-password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
        />
      </label>
      <button type="submit" disabled={busy || !passphrase}>
        {busy ? 'Unlocking…' : 'Unlock'}
      </button>
      {k.available && k.enabled && (
        <button type="button" disabled={busy} onClick={() => void vaultStore.getState().unlockWithKeychain()}>
          Unlock with OS keychain
        </button>
      )}
      <KeychainNote status={status} />
    </form>
  );
}

/** The first and the locked screen: create the vault, or unlock it. No patient data here. */
export function LockScreen() {
  const phase = useVault((s) => s.phase);
  const error = useVault((s) => s.error);

  // The workspace (and its viewer engine) has unmounted by now: drop Cornerstone's caches.
  useEffect(() => purgeViewerCaches(), []);
  useEffect(() => {
    if (phase.kind === 'checking') void vaultStore.getState().check();
  }, [phase.kind]);

  return (
    <div className="lock-screen" data-testid="lock-screen">
      <div className="lock-card">
        <div className="lock-brand">
          PulmoLens <span className="muted">research use only</span>
        </div>
        {phase.kind === 'checking' && <p className="muted">Opening the vault…</p>}
        {phase.kind === 'unavailable' && (
          <p className="error" role="alert">
            The vault cannot be reached: {explain(phase.error)}
          </p>
        )}
        {phase.kind === 'locked' &&
          (phase.status.exists ? (
            <UnlockForm status={phase.status} lockedBy={phase.lockedBy} />
          ) : (
            <CreateForm />
          ))}
        {error && (
          <p className="error lock-error" role="alert">
            {explain(error)}
          </p>
        )}
      </div>
    </div>
  );
}
