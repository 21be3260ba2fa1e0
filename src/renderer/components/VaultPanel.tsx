import { useState } from 'react';
import type { VaultAuditEntry, VaultStudy } from '../../shared/vault-contract';
import { studyStore } from '../stores';

/**
 * The vault's own view: its studies with delete and export (decrypted DICOM into a folder the user
 * names, audit-logged), and the recent audit trail. Loaded when opened, dropped when closed.
 */
export function VaultPanel() {
  const [studies, setStudies] = useState<VaultStudy[] | null>(null);
  const [audit, setAudit] = useState<VaultAuditEntry[]>([]);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [exportDir, setExportDir] = useState('');
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);

  const load = async () => {
    const [s, a] = await Promise.all([
      window.api.invoke('vault.studies', {}),
      window.api.invoke('vault.audit', { limit: 20 }),
    ]);
    if (s.ok) setStudies(s.value.studies);
    if (a.ok) setAudit(a.value.entries);
  };

  const remove = async (st: VaultStudy) => {
    setConfirming(null);
    const r = await window.api.invoke('vault.deleteStudy', { ref: st.ref });
    if (!r.ok) return setMessage({ error: true, text: r.error.message });
    const open = studyStore.getState().open;
    const openKey = open.kind === 'loaded' ? open.info.key : open.kind === 'none' ? null : open.key;
    if (openKey && st.series.some((s) => s.key === openKey)) studyStore.setState({ open: { kind: 'none' } });
    await studyStore.getState().refresh();
    setMessage({ error: false, text: `Deleted (${r.value.objects} encrypted objects removed).` });
    await load();
  };

  const exportStudy = async (st: VaultStudy) => {
    const outDir = exportDir.trim();
    let r = await window.api.invoke('vault.exportSeries', { key: st.ref, outDir });
    // Files of the same names are replaced only when the reader says so.
    if (!r.ok && r.error.code === 'OUTPUT_EXISTS' && window.confirm(`${r.error.message}\n\nReplace them?`)) {
      r = await window.api.invoke('vault.exportSeries', { key: st.ref, outDir, overwrite: true });
    }
    setMessage(
      r.ok
        ? { error: false, text: `Exported ${r.value.files} decrypted files to ${r.value.outDir}.` }
        : { error: true, text: r.error.message },
    );
    await load();
  };

  return (
    <details
      className="vault-panel"
      onToggle={(e) => {
        if ((e.currentTarget as HTMLDetailsElement).open) void load();
        else {
          setStudies(null);
          setAudit([]);
          setMessage(null);
        }
      }}
    >
      <summary>Vault</summary>
      <label>
        Export folder{' '}
        <input
          aria-label="Export folder"
          placeholder="/absolute/path/to/an/empty/folder"
          value={exportDir}
          onChange={(e) => setExportDir(e.target.value)}
        />
      </label>
      <ul>
        {(studies ?? []).map((st) => (
          <li key={st.ref} data-vault-study={st.ref}>
            <span>
              {st.patientName || st.patientId || 'Anonymous'} · {st.series.length} series
            </span>{' '}
            <button disabled={!exportDir.trim()} onClick={() => void exportStudy(st)}>
              Export
            </button>{' '}
            {confirming === st.ref ? (
              <button onClick={() => void remove(st)}>Confirm delete</button>
            ) : (
              <button onClick={() => setConfirming(st.ref)}>Delete…</button>
            )}
          </li>
        ))}
      </ul>
      {studies?.length === 0 && <div className="muted">The vault holds no study.</div>}
      {message && (
        <div className={message.error ? 'error' : 'muted'} role={message.error ? 'alert' : 'status'}>
          {message.text}
        </div>
      )}
      <details>
        <summary>Audit trail (last {audit.length})</summary>
        <ol className="vault-audit">
          {audit.map((e) => (
            <li key={e.seq}>
              <code>{e.time.replace('T', ' ').slice(0, 19)}</code> {e.user} {e.event}
            </li>
          ))}
        </ol>
      </details>
    </details>
  );
}
