/**
 * The DICOM network settings form as text fields, and back: what a person typed becomes the
 * settings object the main process validates with the same schema, and every problem lands next
 * to the field it is about (from the schema here, or from the main process: a port in use).
 */
import { DimseSettings } from '../../common/dimse-settings';
import type { ListenerState, SendQueueStatus } from '../../shared/dimse-contract';

export interface PeerRow {
  aeTitle: string;
  host: string;
}

export interface NetworkForm {
  enabled: boolean;
  aeTitle: string;
  port: string;
  listenHost: string;
  allowedPeers: PeerRow[];
  autoAnalyze: boolean;
  destAeTitle: string;
  destHost: string;
  destPort: string;
  timeoutSeconds: number;
}

/** Field errors by form path: "port", "allowedPeers.0.host", "destination.port", "" (the form). */
export type FieldErrors = Record<string, string>;

export function formOf(s: DimseSettings): NetworkForm {
  return {
    enabled: s.enabled,
    aeTitle: s.aeTitle,
    port: String(s.port),
    listenHost: s.listenHost,
    allowedPeers: s.allowedPeers.map((p) => ({ ...p })),
    autoAnalyze: s.autoAnalyze,
    destAeTitle: s.destination?.aeTitle ?? '',
    destHost: s.destination?.host ?? '',
    destPort: s.destination ? String(s.destination.port) : '',
    timeoutSeconds: s.timeoutSeconds,
  };
}

/** A typed number or NaN (an empty or non-numeric field is not silently 0). */
function num(text: string): number {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
}

/** The destination as typed; null when all three fields are empty (no destination). */
export function destinationInput(f: NetworkForm): unknown {
  if (!f.destAeTitle.trim() && !f.destHost.trim() && !f.destPort.trim()) return null;
  return { aeTitle: f.destAeTitle, host: f.destHost.trim(), port: num(f.destPort) };
}

export function settingsInput(f: NetworkForm): unknown {
  return {
    enabled: f.enabled,
    aeTitle: f.aeTitle,
    port: num(f.port),
    listenHost: f.listenHost.trim(),
    allowedPeers: f.allowedPeers.map((p) => ({ aeTitle: p.aeTitle, host: p.host.trim() })),
    autoAnalyze: f.autoAnalyze,
    destination: destinationInput(f),
    timeoutSeconds: f.timeoutSeconds,
  };
}

export function issuesToErrors(issues: ReadonlyArray<{ path: string; message: string }>): FieldErrors {
  const out: FieldErrors = {};
  for (const i of issues) {
    const path = i.path.replace(/^settings\.?/, '').replace(/^\(request\)$/, '');
    out[path] ??= i.message;
  }
  return out;
}

export function validate(
  f: NetworkForm,
): { ok: true; settings: DimseSettings } | { ok: false; errors: FieldErrors } {
  const r = DimseSettings.safeParse(settingsInput(f));
  if (r.success) return { ok: true, settings: r.data };
  return {
    ok: false,
    errors: issuesToErrors(r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))),
  };
}

export function listenerText(l: ListenerState): string {
  switch (l.kind) {
    case 'listening':
      return `listening on ${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port} as ${l.aeTitle}`;
    case 'failed':
      return `failed: ${l.reason}`;
    case 'off':
      return l.why === 'vault-locked' ? 'off (starts when the vault is unlocked)' : 'off';
  }
}

export function queueText(q: SendQueueStatus): string {
  if (q.queued === 0) return 'No sends queued.';
  const next = q.nextAttemptAt
    ? `; next automatic try at ${new Date(q.nextAttemptAt).toLocaleTimeString()}`
    : '';
  return `${q.queued} send(s) queued${next}.`;
}
