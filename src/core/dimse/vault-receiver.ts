/**
 * Stores what the Storage SCP received into the vault: instances are grouped into series with
 * the importer's own grouping (sorted, split into stacks) and encrypted from memory. Refusals
 * and receipts go to the audit log with the peer's AE title and address, never patient data.
 */
import { groupSeries } from '../dicom';
import type { SkippedFile } from '../dicom';
import type { ImportResult, UnlockedVault } from '../vault';
import { peerLabel } from './settings';
import type { ReceivedBatch, ScpEvent } from './storage-scp';

export interface ReceivedSeries extends ImportResult {
  receivedFrom: string;
}

export function vaultReceiver(
  vault: () => UnlockedVault | null,
  onSeries?: (s: ReceivedSeries) => void,
): {
  store(batch: ReceivedBatch): Promise<void>;
  onEvent(e: ScpEvent): void;
  canReceive(): boolean;
} {
  const audit = (fn: (v: UnlockedVault) => Promise<void>): void => {
    const v = vault();
    // A refusal while locked cannot be written; the association was refused anyway.
    if (v && !v.locked && !v.readOnly) void fn(v).catch(() => undefined);
  };
  return {
    canReceive: () => {
      const v = vault();
      return v !== null && !v.locked && !v.readOnly;
    },
    async store(batch) {
      const v = vault();
      if (!v || v.locked) throw new Error('the vault is locked');
      const skipped: SkippedFile[] = [];
      const series = groupSeries(
        batch.files.map((f) => f.header),
        skipped,
      );
      const files = new Map(batch.files.map((f) => [f.path, f.bytes]));
      const from = peerLabel(batch.from);
      for (const s of series) {
        const r = await v.importSeries(s, { files, receivedFrom: from });
        await v.recordEvent('study-received', r.studyRef, {
          from,
          seriesRef: r.seriesRef,
          instances: r.instances,
          alreadyPresent: r.alreadyPresent,
        });
        onSeries?.({ ...r, receivedFrom: from });
      }
      for (const sk of skipped) {
        await v.recordEvent('instance-refused', undefined, {
          from,
          code: sk.code,
          reason: 'not placeable in a series',
        });
      }
    },
    onEvent(e) {
      if (e.kind === 'echo') return;
      if (e.kind === 'association-refused') {
        audit((v) =>
          v.recordEvent('association-refused', undefined, {
            from: `${e.callingAeTitle}@${e.host}`,
            reason: e.reason,
          }),
        );
      } else {
        audit((v) =>
          v.recordEvent('instance-refused', undefined, {
            from: peerLabel(e.from),
            status: e.status,
            reason: e.reason,
          }),
        );
      }
    },
  };
}
