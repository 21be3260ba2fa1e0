import { useState } from 'react';
import { useVault, vaultStore } from '../vault';
import { VaultPanel } from './VaultPanel';
import { DicomNetworkSettings } from './DicomNetworkSettings';

const IDLE_CHOICES = [5, 10, 15, 30, 60];
const isMac = typeof navigator !== 'undefined' && /Mac/.test(navigator.platform);

/** Session controls while unlocked: lock now, idle time, passphrase-free unlock on this device. */
export function VaultBar() {
  const phase = useVault((s) => s.phase);
  const busy = useVault((s) => s.busy);
  const error = useVault((s) => s.error);
  const [acceptWeak, setAcceptWeak] = useState(false);
  const [network, setNetwork] = useState(false);
  if (phase.kind !== 'unlocked') return null;
  const { idleMinutes, keychain } = phase.status;
  const choices = IDLE_CHOICES.includes(idleMinutes) ? IDLE_CHOICES : [...IDLE_CHOICES, idleMinutes];
  return (
    <>
      <div className="vault-bar" data-testid="vault-bar">
        <button
          title={`Lock the vault (${isMac ? '⌘' : 'Ctrl'}+L)`}
          onClick={() => void vaultStore.getState().lock()}
        >
          Lock
        </button>
        <label>
          Auto-lock after{' '}
          <select
            aria-label="Auto-lock minutes"
            value={idleMinutes}
            disabled={busy}
            onChange={(e) => void vaultStore.getState().setIdleMinutes(Number(e.target.value))}
          >
            {choices.map((m) => (
              <option key={m} value={m}>
                {m} min
              </option>
            ))}
          </select>
        </label>
        {keychain.available && !keychain.enabled && (
          <>
            {keychain.weak && (
              <label title={`The keychain backend "${keychain.backend}" stores secrets with a fixed key.`}>
                <input
                  type="checkbox"
                  checked={acceptWeak}
                  onChange={(e) => setAcceptWeak(e.target.checked)}
                />{' '}
                accept weak keychain
              </label>
            )}
            <button
              disabled={busy || (keychain.weak && !acceptWeak)}
              onClick={() => void vaultStore.getState().enableKeychain(acceptWeak)}
            >
              Unlock with OS keychain on this device
            </button>
          </>
        )}
        <button type="button" aria-expanded={network} onClick={() => setNetwork((n) => !n)}>
          DICOM network
        </button>
        {error && (
          <span className="error" role="alert">
            {error.message}
          </span>
        )}
      </div>
      {network && <DicomNetworkSettings onClose={() => setNetwork(false)} />}
      <VaultPanel />
    </>
  );
}
