/**
 * "Send to PACS": the SR, the parametric map and the PDF of the reviewed analysis go to the
 * destination in the DICOM network settings (set here when there is none). Progress while it
 * runs, a note when it arrived, and an error a person can act on (refused, no answer, cannot
 * connect); a failed send waits in the vault's queue and "Retry queued sends" delivers it.
 */
import { useEffect, useState } from 'react';
import { Destination, type DimseSettings } from '../../common/dimse-settings';
import type { SendQueueStatus } from '../../shared/dimse-contract';
import { queueText } from './dicom-network-form';
import type { IpcError } from '../../shared/ipc-contract';
import type { TaskProgress } from '../store/study-store';
import { ProgressBar } from './ProgressBar';

type SendState =
  | { kind: 'idle' }
  | { kind: 'sending'; taskId: string; progress: TaskProgress | null }
  | { kind: 'sent'; destination: string; objects: number }
  | { kind: 'failed'; error: IpcError }
  | { kind: 'retried'; delivered: number; stillQueued: number; lastError: string | null };

const WHAT_HAPPENED: Partial<Record<IpcError['code'], string>> = {
  DIMSE_REFUSED: 'The PACS refused the results',
  DIMSE_TIMEOUT: 'The PACS did not answer in time',
  DIMSE_NETWORK: 'Cannot connect to the PACS',
};

let taskCounter = 0;

export function SendToPacs({ seriesKey, reviewed }: { seriesKey: string; reviewed: boolean }) {
  const [settings, setSettings] = useState<DimseSettings | null>(null);
  const [unavailable, setUnavailable] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [form, setForm] = useState({ aeTitle: '', host: '', port: '104' });
  const [formError, setFormError] = useState<string | null>(null);
  const [state, setState] = useState<SendState>({ kind: 'idle' });
  const [queue, setQueue] = useState<SendQueueStatus | null>(null);

  useEffect(() => {
    void window.api.invoke('dimse.settings', {}).then((r) => {
      if (r.ok) {
        setSettings(r.value.settings);
        setQueue(r.value.queue);
      } else setUnavailable(r.error.message);
    });
    const offState = window.api.on('dimse.state', (s) => {
      setQueue(s.queue);
      // Changed in the DICOM network settings: the destination shown here follows.
      setSettings(s.settings);
    });
    const offProgress = window.api.on('task.progress', (p) =>
      setState((s) => (s.kind === 'sending' && s.taskId === p.taskId ? { ...s, progress: p } : s)),
    );
    return () => {
      offState();
      offProgress();
    };
  }, []);

  if (unavailable) return <div className="muted send-pacs">Send to PACS: {unavailable}</div>;
  if (!settings) return null;
  const dest = settings.destination;

  const saveDestination = async () => {
    const parsed = Destination.safeParse({ ...form, port: Number(form.port) });
    if (!parsed.success) {
      setFormError(
        parsed.error.issues.map((i) => `${i.path.join('.') || 'destination'}: ${i.message}`).join('; '),
      );
      return;
    }
    const r = await window.api.invoke('dimse.saveSettings', {
      settings: { ...settings, destination: parsed.data },
    });
    if (!r.ok) return setFormError(r.error.message);
    setSettings(r.value.settings);
    setFormError(null);
    setEditing(false);
  };

  const send = async () => {
    const taskId = `send-${++taskCounter}`;
    setState({ kind: 'sending', taskId, progress: null });
    const r = await window.api.invoke('dimse.sendAnalysis', { key: seriesKey, taskId });
    setState(
      r.ok
        ? { kind: 'sent', destination: r.value.destination, objects: r.value.objects.length }
        : { kind: 'failed', error: r.error },
    );
  };

  const retry = async () => {
    const r = await window.api.invoke('dimse.retryQueue', {});
    setState(
      r.ok
        ? {
            kind: 'retried',
            delivered: r.value.delivered,
            stillQueued: r.value.stillQueued.length,
            lastError: r.value.stillQueued[0]?.lastError ?? null,
          }
        : { kind: 'failed', error: r.error },
    );
  };

  return (
    <div className="send-pacs" aria-label="Send to PACS">
      {dest && !editing ? (
        <div>
          <button
            type="button"
            onClick={() => void send()}
            disabled={!reviewed || state.kind === 'sending'}
            title={reviewed ? undefined : 'Review every finding first'}
          >
            Send to PACS
          </button>{' '}
          <span className="muted" data-testid="pacs-destination">
            {dest.aeTitle}@{dest.host}:{dest.port}
          </span>{' '}
          <button type="button" className="link" onClick={() => setEditing(true)}>
            change
          </button>
          {!reviewed && <div className="muted">Review every finding before sending.</div>}
        </div>
      ) : (
        <form
          className="pacs-destination"
          onSubmit={(e) => {
            e.preventDefault();
            void saveDestination();
          }}
        >
          <span>PACS destination:</span>{' '}
          <input
            aria-label="PACS AE title"
            placeholder="AE title"
            value={form.aeTitle}
            onChange={(e) => setForm({ ...form, aeTitle: e.target.value })}
          />
          <input
            aria-label="PACS host address"
            placeholder="IP address"
            value={form.host}
            onChange={(e) => setForm({ ...form, host: e.target.value })}
          />
          <input
            aria-label="PACS port"
            inputMode="numeric"
            value={form.port}
            onChange={(e) => setForm({ ...form, port: e.target.value })}
          />
          <button type="submit">Save destination</button>
          {formError && (
            <div role="alert" className="error">
              {formError}
            </div>
          )}
        </form>
      )}
      {state.kind === 'sending' && <ProgressBar progress={state.progress} label="Sending to PACS" />}
      {state.kind === 'sent' && (
        <div role="status" data-testid="pacs-sent">
          Sent {state.objects} object(s) (SR, parametric map, PDF) to {state.destination}.
        </div>
      )}
      {state.kind === 'failed' && (
        <div role="alert" className="error" data-testid="pacs-error">
          {WHAT_HAPPENED[state.error.code] ?? 'Not sent'}: {state.error.message}
          {state.error.code.startsWith('DIMSE_') && (
            <div>
              Check the destination (AE title, address, port) and that our AE title{' '}
              <code>{settings.aeTitle}</code> is known to the PACS.{' '}
              <button type="button" onClick={() => void retry()}>
                Retry queued sends
              </button>
            </div>
          )}
        </div>
      )}
      {queue && queue.queued > 0 && (
        <div className="muted" data-testid="pacs-queue">
          {queueText(queue)}
        </div>
      )}
      {state.kind === 'retried' && (
        <div role={state.stillQueued > 0 ? 'alert' : 'status'}>
          Delivered {state.delivered} queued send(s)
          {state.stillQueued > 0 ? `; ${state.stillQueued} still queued: ${state.lastError}` : '.'}
        </div>
      )}
    </div>
  );
}
