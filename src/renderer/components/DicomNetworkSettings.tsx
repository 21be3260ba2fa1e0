/**
 * "DICOM network" settings: the Storage SCP (on/off, AE title, port, interface, the calling AE
 * titles it accepts with their addresses, automatic analysis) and the send destination with a
 * C-ECHO "Verify". Saving applies at once (the SCP restarts on the new port and AE title; a port
 * in use leaves the running listener as it was and says so next to the port). The listener's
 * state and the queue of failed sends follow the main process live.
 */
import { useEffect, useState } from 'react';
import type { DimseState } from '../../shared/dimse-contract';
import type { IpcError } from '../../shared/ipc-contract';
import {
  destinationInput,
  formOf,
  issuesToErrors,
  listenerText,
  queueText,
  validate,
  type FieldErrors,
  type NetworkForm,
} from './dicom-network-form';
import { Destination } from '../../common/dimse-settings';
import './dicom-network.css';

type Verify =
  | { kind: 'idle' }
  | { kind: 'running' }
  | { kind: 'ok'; destination: string; ms: number }
  | { kind: 'failed'; message: string };

function FieldError({ errors, path }: { errors: FieldErrors; path: string }) {
  const e = errors[path];
  return e ? (
    <div className="error field-error" role="alert" data-field={path}>
      {e}
    </div>
  ) : null;
}

export function DicomNetworkSettings({ onClose }: { onClose: () => void }) {
  const [state, setState] = useState<DimseState | null>(null);
  const [form, setForm] = useState<NetworkForm | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<IpcError | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const [verify, setVerify] = useState<Verify>({ kind: 'idle' });
  const [retrying, setRetrying] = useState(false);

  useEffect(() => {
    void window.api.invoke('dimse.settings', {}).then((r) => {
      if (!r.ok) return setProblem(r.error);
      setState(r.value);
      setForm(formOf(r.value.settings));
    });
    return window.api.on('dimse.state', (s) => setState(s));
  }, []);

  const edit = (change: Partial<NetworkForm>) => {
    setForm((f) => (f ? { ...f, ...change } : f));
    setSaved(false);
  };

  const save = async () => {
    if (!form) return;
    const v = validate(form);
    if (!v.ok) return setErrors(v.errors);
    setErrors({});
    setProblem(null);
    setSaving(true);
    const r = await window.api.invoke('dimse.saveSettings', { settings: v.settings });
    setSaving(false);
    if (!r.ok) {
      setErrors(issuesToErrors(r.error.issues ?? []));
      setProblem(r.error);
      return;
    }
    setState(r.value);
    setForm(formOf(r.value.settings));
    setSaved(true);
  };

  const runVerify = async () => {
    if (!form) return;
    const d = Destination.safeParse(destinationInput(form));
    if (!d.success) {
      setErrors(
        issuesToErrors(
          d.error.issues.map((i) => ({ path: ['destination', ...i.path].join('.'), message: i.message })),
        ),
      );
      return setVerify({ kind: 'failed', message: 'enter the destination first' });
    }
    setVerify({ kind: 'running' });
    const r = await window.api.invoke('dimse.verify', { destination: d.data });
    setVerify(r.ok ? { kind: 'ok', ...r.value } : { kind: 'failed', message: r.error.message });
  };

  const retryNow = async () => {
    setRetrying(true);
    const r = await window.api.invoke('dimse.retryQueue', {});
    setRetrying(false);
    if (!r.ok) setProblem(r.error);
  };

  return (
    <section className="dicom-network" role="dialog" aria-label="DICOM network settings">
      <header>
        <strong>DICOM network</strong>{' '}
        <button type="button" className="link" onClick={onClose} aria-label="Close DICOM network settings">
          ×
        </button>
      </header>
      {state && (
        <div className="dn-state" data-testid="scp-state" data-kind={state.listener.kind}>
          Storage SCP: {listenerText(state.listener)}
        </div>
      )}
      {!form ? (
        problem ? (
          <div className="error" role="alert">
            {problem.message}
          </div>
        ) : (
          <div className="muted">Loading…</div>
        )
      ) : (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <fieldset>
            <legend>Receive (Storage SCP)</legend>
            <label>
              <input
                type="checkbox"
                checked={form.enabled}
                onChange={(e) => edit({ enabled: e.target.checked })}
              />{' '}
              Receive studies from the PACS or scanner
            </label>
            <div className="dn-row">
              <label>
                Our AE title
                <input
                  aria-label="Our AE title"
                  value={form.aeTitle}
                  onChange={(e) => edit({ aeTitle: e.target.value })}
                />
              </label>
              <label>
                Port
                <input
                  aria-label="Listening port"
                  inputMode="numeric"
                  value={form.port}
                  onChange={(e) => edit({ port: e.target.value })}
                />
              </label>
              <label>
                Interface address
                <input
                  aria-label="Listening interface address"
                  value={form.listenHost}
                  onChange={(e) => edit({ listenHost: e.target.value })}
                />
              </label>
            </div>
            <FieldError errors={errors} path="aeTitle" />
            <FieldError errors={errors} path="port" />
            <FieldError errors={errors} path="listenHost" />
            <div>Calling AE titles accepted (each from its own IP address):</div>
            {form.allowedPeers.length === 0 && (
              <div className="muted">None: every association is refused until one is added.</div>
            )}
            {form.allowedPeers.map((p, i) => (
              <div key={i}>
                <div className="dn-row">
                  <input
                    aria-label={`Allowed AE title ${i + 1}`}
                    placeholder="AE title"
                    value={p.aeTitle}
                    onChange={(e) =>
                      edit({
                        allowedPeers: form.allowedPeers.map((q, j) =>
                          j === i ? { ...q, aeTitle: e.target.value } : q,
                        ),
                      })
                    }
                  />
                  <input
                    aria-label={`Allowed host address ${i + 1}`}
                    placeholder="IP address"
                    value={p.host}
                    onChange={(e) =>
                      edit({
                        allowedPeers: form.allowedPeers.map((q, j) =>
                          j === i ? { ...q, host: e.target.value } : q,
                        ),
                      })
                    }
                  />
                  <button
                    type="button"
                    aria-label={`Remove allowed peer ${i + 1}`}
                    onClick={() => edit({ allowedPeers: form.allowedPeers.filter((_, j) => j !== i) })}
                  >
                    Remove
                  </button>
                </div>
                <FieldError errors={errors} path={`allowedPeers.${i}.aeTitle`} />
                <FieldError errors={errors} path={`allowedPeers.${i}.host`} />
              </div>
            ))}
            <button
              type="button"
              onClick={() => edit({ allowedPeers: [...form.allowedPeers, { aeTitle: '', host: '' }] })}
            >
              Add allowed peer
            </button>
            <FieldError errors={errors} path="allowedPeers" />
            <label>
              <input
                type="checkbox"
                checked={form.autoAnalyze}
                onChange={(e) => edit({ autoAnalyze: e.target.checked })}
              />{' '}
              Analyse each received series automatically
            </label>
          </fieldset>
          <fieldset>
            <legend>Send results to (C-STORE destination)</legend>
            <div className="dn-row">
              <label>
                AE title
                <input
                  aria-label="Destination AE title"
                  value={form.destAeTitle}
                  onChange={(e) => edit({ destAeTitle: e.target.value })}
                />
              </label>
              <label>
                IP address
                <input
                  aria-label="Destination host address"
                  value={form.destHost}
                  onChange={(e) => edit({ destHost: e.target.value })}
                />
              </label>
              <label>
                Port
                <input
                  aria-label="Destination port"
                  inputMode="numeric"
                  value={form.destPort}
                  onChange={(e) => edit({ destPort: e.target.value })}
                />
              </label>
            </div>
            <div>
              <button type="button" onClick={() => void runVerify()} disabled={verify.kind === 'running'}>
                Verify (C-ECHO)
              </button>
            </div>
            <FieldError errors={errors} path="destination.aeTitle" />
            <FieldError errors={errors} path="destination.host" />
            <FieldError errors={errors} path="destination.port" />
            {verify.kind === 'running' && <div className="muted">Echoing…</div>}
            {verify.kind === 'ok' && (
              <div role="status" data-testid="verify-result">
                {verify.destination} answered the C-ECHO in {verify.ms} ms.
              </div>
            )}
            {verify.kind === 'failed' && (
              <div role="alert" className="error" data-testid="verify-result">
                Verify failed: {verify.message}
              </div>
            )}
          </fieldset>
          <div className="dn-row">
            <button type="submit" disabled={saving}>
              {saving ? 'Saving…' : 'Save and apply'}
            </button>
            {saved && (
              <span role="status" className="muted">
                Saved and applied.
              </span>
            )}
          </div>
          <FieldError errors={errors} path="" />
          {problem && !problem.issues?.length && (
            <div className="error" role="alert">
              Not saved: {problem.message}
            </div>
          )}
          {problem?.issues?.length ? (
            <div className="error" role="alert">
              Not saved; the running listener is unchanged.
            </div>
          ) : null}
        </form>
      )}
      {state && (
        <div className="dn-queue" data-testid="send-queue">
          {queueText(state.queue)}{' '}
          {state.queue.queued > 0 && (
            <button type="button" onClick={() => void retryNow()} disabled={retrying}>
              Retry queued sends now
            </button>
          )}
          {state.queue.lastAttempt && (
            <div className="muted">
              Last attempt ({state.queue.lastAttempt.automatic ? 'automatic' : 'by hand'},{' '}
              {new Date(state.queue.lastAttempt.at).toLocaleTimeString()}): delivered{' '}
              {state.queue.lastAttempt.delivered}
              {state.queue.lastAttempt.error ? `; ${state.queue.lastAttempt.error}` : ''}
            </div>
          )}
        </div>
      )}
    </section>
  );
}
