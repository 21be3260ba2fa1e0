/**
 * The reader's measurements, kept with their series: in the vault under the series' study and
 * series (catalogue fields studyRef and seriesRef), in memory where there is no vault (unit tests).
 * One object per series; a save stores a new object and deletes the one it replaces.
 */
import { z } from 'zod';
import { PulmoLensError } from '../../common/errors';
import { measurementSchema, type Measurement } from '../../common/measurement';
import type { UnlockedVault } from '../vault';

export interface MeasurementStore {
  load(key: string): Promise<Measurement[]>;
  save(key: string, measurements: Measurement[]): Promise<void>;
}

export function memoryMeasurementStore(): MeasurementStore {
  const byKey = new Map<string, Measurement[]>();
  return {
    async load(key) {
      return structuredClone(byKey.get(key) ?? []);
    },
    async save(key, measurements) {
      byKey.set(key, structuredClone(measurements));
    },
  };
}

/** The object name inside the encrypted catalogue (never on disk in the clear). */
export const measurementObjectName = (key: string): string => `measurements/${key}/measurements.json`;

export function vaultMeasurementStore(session: { require(): UnlockedVault }): MeasurementStore {
  // One save at a time: two overlapping saves would both try to delete the object they replace.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const next = queue.then(job, job);
    queue = next.catch(() => undefined);
    return next;
  };
  const stored = (v: UnlockedVault, key: string) =>
    v
      .listObjects({ kind: 'review' })
      .filter((o) => o.name === measurementObjectName(key))
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  return {
    async load(key) {
      const v = session.require();
      const newest = stored(v, key).at(-1);
      if (!newest) return [];
      const doc = await v.getJson<{ measurements?: unknown }>(newest.id);
      const parsed = z.array(measurementSchema).safeParse(doc.measurements);
      if (!parsed.success) {
        throw new PulmoLensError(
          'VAULT_CORRUPT',
          `stored measurements of ${key} do not read back: ${parsed.error.message}`,
        );
      }
      return parsed.data;
    },
    save(key, measurements) {
      return serial(() => saveNow(key, measurements));
    },
  };

  async function saveNow(key: string, measurements: Measurement[]): Promise<void> {
    const v = session.require();
    // Throws NOT_FOUND for a series the vault does not hold: measurements never float free.
    const series = v.getSeries(key);
    const before = stored(v, key);
    await v.putObject(
      series.ref,
      'review',
      JSON.stringify({ key, savedAt: new Date().toISOString(), measurements }),
      { name: measurementObjectName(key), seriesRef: series.ref },
    );
    // The new object is committed first: a crash in between leaves two, and load takes the newer.
    for (const o of before) await v.deleteObject(o.id);
  }
}
