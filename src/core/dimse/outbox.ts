/**
 * The retry queue for results that could not be sent: each entry names its destination and the
 * DICOM objects, which are kept encrypted in the vault until delivered, so the queue survives a
 * restart. The queue itself is one small JSON object in the vault, replaced on every change.
 */
import { z } from 'zod';
import type { UnlockedVault } from '../vault';
import { Destination, peerLabel } from './settings';
import { sendObjects, type OutgoingObject } from './store-scu';

const OUTBOX_NAME = 'dimse-outbox.json';

const OutboxEntry = z
  .object({
    id: z.string(),
    destination: Destination,
    objects: z.array(z.object({ name: z.string(), objectId: z.string() }).strict()),
    queuedAt: z.string(),
    attempts: z.number().int().min(0),
    lastError: z.string(),
    /** the vault study the results belong to, when known (for the audit log) */
    studyRef: z.string().nullable(),
  })
  .strict();
export type OutboxEntry = z.infer<typeof OutboxEntry>;
const OutboxDoc = z.object({ entries: z.array(OutboxEntry) }).strict();

function outboxObjects(v: UnlockedVault) {
  return v
    .listObjects({ kind: 'other' })
    .filter((o) => o.studyRef === null && o.name === OUTBOX_NAME)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export async function readOutbox(v: UnlockedVault): Promise<OutboxEntry[]> {
  const latest = outboxObjects(v).at(-1);
  if (!latest) return [];
  return OutboxDoc.parse(await v.getJson(latest.id)).entries;
}

/**
 * The queue is read, changed and written back: two changes at once (a failed send queued while a
 * retry runs) would each write their own copy and lose the other's entries, so every change runs
 * alone, per vault.
 */
const changing = new WeakMap<UnlockedVault, Promise<unknown>>();
function changeOutbox(v: UnlockedVault, change: (entries: OutboxEntry[]) => OutboxEntry[]): Promise<void> {
  const job = async () => writeOutbox(v, change(await readOutbox(v)));
  const next = (changing.get(v) ?? Promise.resolve()).then(job, job);
  changing.set(
    v,
    next.catch(() => undefined),
  );
  return next;
}

/** Writes the new queue, then removes the previous versions (a crash in between keeps both; the newest wins). */
async function writeOutbox(v: UnlockedVault, entries: OutboxEntry[]): Promise<void> {
  const old = outboxObjects(v);
  await v.putObject(null, 'other', { entries }, { name: OUTBOX_NAME });
  for (const o of old) await v.deleteObject(o.id);
}

export async function enqueue(
  v: UnlockedVault,
  objects: readonly OutgoingObject[],
  destination: Destination,
  error: string,
  studyRef: string | null = null,
): Promise<OutboxEntry> {
  const stored: OutboxEntry['objects'] = [];
  for (const o of objects) {
    const rec = await v.putObject(null, 'other', Buffer.from(o.bytes), { name: `outbox:${o.name}` });
    stored.push({ name: o.name, objectId: rec.id });
  }
  const entry: OutboxEntry = {
    id: crypto.randomUUID(),
    destination,
    objects: stored,
    queuedAt: new Date().toISOString(),
    attempts: 1,
    lastError: error,
    studyRef,
  };
  await changeOutbox(v, (entries) => [...entries, entry]);
  return entry;
}

export interface RetryReport {
  delivered: number;
  stillQueued: Array<{ destination: string; objects: number; lastError: string; attempts: number }>;
}

/** Tries every queued entry once; delivered entries and their objects leave the vault. */
export async function retryOutbox(
  v: UnlockedVault,
  opts: { callingAeTitle: string; timeoutSeconds: number },
): Promise<RetryReport> {
  const entries = await readOutbox(v);
  const tried = new Map<string, OutboxEntry | null>();
  for (const e of entries) {
    const where = `${peerLabel(e.destination)}:${e.destination.port}`;
    try {
      const objects = await Promise.all(
        e.objects.map(async (o) => ({ name: o.name, bytes: new Uint8Array(await v.getObject(o.objectId)) })),
      );
      await sendObjects(objects, e.destination, opts);
      tried.set(e.id, null);
      await v.recordEvent('study-sent', e.studyRef ?? undefined, {
        to: where,
        objects: e.objects.length,
        fromQueue: true,
      });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      tried.set(e.id, { ...e, attempts: e.attempts + 1, lastError: msg });
      await v.recordEvent('send-failed', e.studyRef ?? undefined, { to: where, reason: msg, queued: true });
    }
  }
  // Entries queued while this ran are kept as they are.
  let remaining: OutboxEntry[] = [];
  if (entries.length > 0) {
    await changeOutbox(v, (now) => {
      remaining = now.flatMap((e) => {
        const t = tried.get(e.id);
        return t === undefined ? [e] : t === null ? [] : [t];
      });
      return remaining;
    });
  } else remaining = await readOutbox(v);
  // The queue no longer names them: now their copies can go.
  const delivered = entries.filter((e) => tried.get(e.id) === null);
  for (const e of delivered) for (const o of e.objects) await v.deleteObject(o.objectId);
  return {
    delivered: delivered.length,
    stillQueued: remaining.map((e) => ({
      destination: `${peerLabel(e.destination)}:${e.destination.port}`,
      objects: e.objects.length,
      lastError: e.lastError,
      attempts: e.attempts,
    })),
  };
}
