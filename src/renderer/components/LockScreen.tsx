import { useEffect, useState, type FormEvent } from 'react';
import type { IpcError } from '../../shared/ipc-contract';
import { MIN_PASSPHRASE_LENGTH, passphraseProblem, type VaultStatus } from '../../shared/vault-contract';
import { purgeViewerCaches, useVault, vaultStore } from '../vault';
import type { Reader } from '../../common/reader';
import './lock-screen.css';

/** What the user should read for an error from create/unlock. */
function explain(e: IpcError): string {
  switch (e.code) {
    case 'VAULT_WRONG_PASSPHRASE':
      return 'Wrong passphrase. The vault stays locked; nothing was changed.';
    case 'VAULT_WRONG_RECOVERY_CODE':
      return `${e.message}. The vault stays locked; nothing was changed.`;
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

/** Who is reading: reviews, reports and the audit trail name this person, not the OS account. */
function useReader() {
  const [name, setName] = useState('');
  const [id, setId] = useState('');
  const reader: Reader = id.trim() ? { name: name.trim(), id: id.trim() } : { name: name.trim() };
  const fields = (
    <>
      <label>
        Your name
        <input autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Staff ID (optional)
        <input autoComplete="off" value={id} onChange={(e) => setId(e.target.value)} />
      </label>
    </>
  );
  return { reader, ready: name.trim() !== '', fields };
}

/**
 * A new passphrase typed twice (create, recover): the strength rule and the match are said as the
 * reader types, before the round trip (the main process checks both again).
 */
function useNewPassphrase(label: string, autoFocus: boolean) {
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');
  const problem = passphrase ? passphraseProblem(passphrase) : null;
  const mismatch = confirm !== '' && confirm !== passphrase;
  const fields = (
    <>
      <label>
        {label}
        <input
          type="password"
          autoFocus={autoFocus}
          autoComplete="new-password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
        />
      </label>
      {problem && <div className="lock-hint warn">{problem}</div>}
      <label>
        Confirm {label.charAt(0).toLowerCase() + label.slice(1)}
        <input
          type="password"
          autoComplete="new-password"
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
        />
      </label>
      {mismatch && <div className="lock-hint warn">The two passphrases differ.</div>}
    </>
  );
  const clear = () => {
    setPassphrase('');
    setConfirm('');
  };
  return { passphrase, confirm, filled: passphrase !== '' && confirm !== '', fields, clear };
}

/** Shown once after creation; the workspace opens when the reader confirms they wrote it down. */
function RecoveryNotice({ code }: { code: string }) {
  return (
    <div className="lock-form" role="dialog" aria-label="Recovery code">
      <h1>Write down your recovery code</h1>
      <p className="muted">
        If you forget the passphrase, this code sets a new one. It is shown only now. Keep it on paper, apart
        from this computer.
      </p>
      <p className="recovery-code" data-testid="recovery-code">
        <code>{code}</code>
      </p>
      <p className="lock-note">
        Without the passphrase and this recovery code, the data in the vault is gone: nobody, including
        PulmoLens, can recover it.
      </p>
      <button type="button" onClick={() => vaultStore.getState().recoveryNoted()}>
        I have written it down
      </button>
    </div>
  );
}

function RecoverForm({ onCancel }: { onCancel: () => void }) {
  const busy = useVault((s) => s.busy);
  const [code, setCode] = useState('');
  const pass = useNewPassphrase('New passphrase', false);
  const { reader, ready, fields } = useReader();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void vaultStore.getState().recover(code, pass.passphrase, pass.confirm, reader);
  };
  return (
    <form className="lock-form" onSubmit={submit}>
      <h1>Set a new passphrase</h1>
      <p className="muted">Enter the recovery code you wrote down when the vault was created.</p>
      <label>
        Recovery code
        <input autoComplete="off" autoFocus value={code} onChange={(e) => setCode(e.target.value)} />
      </label>
      {pass.fields}
      {fields}
      <button type="submit" disabled={busy || !code || !pass.filled || !ready}>
        {busy ? 'Setting…' : 'Set new passphrase and unlock'}
      </button>
      <button type="button" onClick={onCancel}>
        Back
      </button>
    </form>
  );
}

function CreateForm() {
  const busy = useVault((s) => s.busy);
  const { reader, ready, fields } = useReader();
  const pass = useNewPassphrase('Passphrase', true);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void vaultStore
      .getState()
      .create(pass.passphrase, pass.confirm, reader)
      .then((ok) => ok && pass.clear());
  };
  return (
    <form className="lock-form" onSubmit={submit}>
      <h1>Create your PulmoLens vault</h1>
      <p className="muted">
        Studies, results, reports and the audit trail are kept encrypted on this device. Choose a passphrase
        of at least {MIN_PASSPHRASE_LENGTH} characters. Next you get a one-time recovery code: without the
        passphrase and that code the data is gone.
      </p>
      {pass.fields}
      {fields}
      <button type="submit" disabled={busy || !pass.filled || !ready}>
        {busy ? 'Creating…' : 'Create vault'}
      </button>
    </form>
  );
}

function UnlockForm({ status, lockedBy }: { status: VaultStatus; lockedBy: string | null }) {
  const busy = useVault((s) => s.busy);
  const { reader, ready, fields } = useReader();
  const [recovering, setRecovering] = useState(false);
  const [passphrase, setPassphrase] = useState('');
  const k = status.keychain;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void vaultStore
      .getState()
      .unlock(passphrase, reader)
      .then((ok) => ok && setPassphrase(''));
  };
  if (recovering) return <RecoverForm onCancel={() => setRecovering(false)} />;
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
      {fields}
      <button type="submit" disabled={busy || !passphrase || !ready}>
        {busy ? 'Unlocking…' : 'Unlock'}
      </button>
      {k.available && k.enabled && (
        <button
          type="button"
          disabled={busy || !ready}
          onClick={() => void vaultStore.getState().unlockWithKeychain(reader)}
        >
          Unlock with OS keychain
        </button>
      )}
      <button type="button" className="link" onClick={() => setRecovering(true)}>
        Forgot the passphrase? Use the recovery code
      </button>
      <KeychainNote status={status} />
    </form>
  );
}

/** The first and the locked screen: create the vault, or unlock it. No patient data here. */
export function LockScreen() {
  const phase = useVault((s) => s.phase);
  const error = useVault((s) => s.error);
  const recoveryNotice = useVault((s) => s.recoveryNotice);

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
        {recoveryNotice && <RecoveryNotice code={recoveryNotice.code} />}
        {!recoveryNotice &&
          phase.kind === 'locked' &&
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
