/**
 * Where analyses and reviews are kept between sessions. The app keeps them in the encrypted vault
 * (the vault session's UnlockedVault); the memory store serves tests and the time before a vault
 * is unlocked. Objects in the vault are immutable, so the newest object with a name wins.
 */
import { PulmoLensError } from '../../common/errors';
import type { FindingsDocument } from '../../common/findings/findings-document';
import type { Heatmap } from '../inference/pipeline';
import type { StudyReview } from '../../common/review/review';
import { parseStudyReview } from '../../common/review/review-schema';
import type { AuditEvent, ObjectKind, UnlockedVault } from '../vault';
import type { PutObjectOptions } from '../vault/object-store';
import { seriesObjectName, type SeriesObjectPart } from '../vault/object-names';
import type { VolumeGeometry } from '../../common/volume';

export interface StoredAnalysisMeta {
  key: string;
  document: FindingsDocument;
  analysedAt: string;
  heatmap: VolumeGeometry;
  warnings: string[];
}

export interface AnalysisStore {
  saveAnalysis(meta: StoredAnalysisMeta, heatmap: Uint8Array): Promise<void>;
  loadAnalysis(key: string): Promise<StoredAnalysisMeta | null>;
  /**
   * Replaces the findings document of a stored analysis (the heatmap stays), with `change` as its
   * audit entry: the reader's correction of the clinical inputs, not a new analysis.
   */
  saveCorrectedAnalysis(
    meta: StoredAnalysisMeta,
    change: { event: AuditEvent; details: Record<string, string | number | boolean> },
  ): Promise<void>;
  loadHeatmap(key: string): Promise<Heatmap | null>;
  saveReview(key: string, review: StudyReview): Promise<void>;
  loadReview(key: string): Promise<StudyReview | null>;
  /** An audit entry for something that leaves no stored object (an export). */
  audit(event: AuditEvent, details: Record<string, string | number | boolean>, key?: string): Promise<void>;
}

export function memoryAnalysisStore(): AnalysisStore & {
  auditLog: { event: AuditEvent; details: object }[];
} {
  const metas = new Map<string, StoredAnalysisMeta>();
  const heatmaps = new Map<string, Uint8Array>();
  const reviews = new Map<string, StudyReview>();
  const auditLog: { event: AuditEvent; details: object }[] = [];
  return {
    auditLog,
    async saveAnalysis(meta, heatmap) {
      metas.set(meta.key, structuredClone(meta));
      heatmaps.set(meta.key, heatmap);
      auditLog.push({ event: 'study-analysed', details: { key: meta.key } });
    },
    async loadAnalysis(key) {
      const m = metas.get(key);
      return m ? structuredClone(m) : null;
    },
    async saveCorrectedAnalysis(meta, change) {
      if (!metas.has(meta.key)) throw new PulmoLensError('NOT_FOUND', `series ${meta.key} has no analysis`);
      metas.set(meta.key, structuredClone(meta));
      auditLog.push({ event: change.event, details: { key: meta.key, ...change.details } });
    },
    async loadHeatmap(key) {
      const m = metas.get(key);
      const data = heatmaps.get(key);
      return m && data ? { ...m.heatmap, data } : null;
    },
    async saveReview(key, review) {
      reviews.set(key, structuredClone(review));
      auditLog.push({ event: 'review-saved', details: { key } });
    },
    async loadReview(key) {
      const r = reviews.get(key);
      return r ? structuredClone(r) : null;
    },
    async audit(event, details) {
      auditLog.push({ event, details });
    },
  };
}

/** What the store needs of the vault session (src/main/vault-session's VaultSessionHolder). */
export interface VaultAccess {
  require(): UnlockedVault;
}

/**
 * The vault-backed store. Every object is stored under the study and series of its key, so deleting
 * the study deletes it; names carry the series key only inside the encrypted index. putObject itself
 * writes the audit entries (study-analysed, review-saved).
 */
export function vaultAnalysisStore(session: VaultAccess): AnalysisStore {
  // The newest object of this series with this name; NOT_FOUND when the series is not in the vault.
  const newest = (vault: UnlockedVault, key: string, kind: ObjectKind, part: SeriesObjectPart) => {
    const { studyRef, seriesRef } = vault.seriesLocation(key);
    const name = seriesObjectName(part, key);
    const hits = vault
      .listObjects({ studyRef, kind })
      .filter((o) => o.seriesRef === seriesRef && o.name === name)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    return hits.at(-1) ?? null;
  };
  const put = (
    vault: UnlockedVault,
    key: string,
    kind: ObjectKind,
    part: SeriesObjectPart,
    data: Buffer | string,
    audit?: PutObjectOptions['audit'],
  ) => {
    const { studyRef, seriesRef } = vault.seriesLocation(key);
    return vault.putObject(studyRef, kind, data, {
      name: seriesObjectName(part, key),
      seriesRef,
      ...(audit ? { audit } : {}),
    });
  };
  return {
    async saveAnalysis(meta, heatmap) {
      const vault = session.require();
      // Heatmap first: a meta object never points at a heatmap that is not there.
      await put(
        vault,
        meta.key,
        'analysis',
        'heatmap',
        Buffer.from(heatmap.buffer, heatmap.byteOffset, heatmap.byteLength),
      );
      await put(vault, meta.key, 'analysis', 'findings', JSON.stringify(meta));
    },
    async loadAnalysis(key) {
      const vault = session.require();
      const o = newest(vault, key, 'analysis', 'findings');
      return o ? vault.getJson<StoredAnalysisMeta>(o.id) : null;
    },
    async saveCorrectedAnalysis(meta, change) {
      const vault = session.require();
      // Objects are immutable: the corrected document is the newest findings object of the series.
      if (!newest(vault, meta.key, 'analysis', 'findings')) {
        throw new PulmoLensError('NOT_FOUND', `series ${meta.key} has no stored analysis`);
      }
      await put(vault, meta.key, 'analysis', 'findings', JSON.stringify(meta), change);
    },
    async loadHeatmap(key) {
      const vault = session.require();
      const meta = await this.loadAnalysis(key);
      const o = newest(vault, key, 'analysis', 'heatmap');
      if (!meta || !o) return null;
      const bytes = await vault.getObject(o.id);
      const n = meta.heatmap.dims[0] * meta.heatmap.dims[1] * meta.heatmap.dims[2];
      if (bytes.byteLength !== n) {
        throw new PulmoLensError(
          'VAULT_CORRUPT',
          `stored heatmap of ${key} has ${bytes.byteLength} voxels, expected ${n}`,
        );
      }
      return { ...meta.heatmap, data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    },
    async saveReview(key, review) {
      await put(session.require(), key, 'review', 'review', JSON.stringify(review));
    },
    async loadReview(key) {
      const vault = session.require();
      const o = newest(vault, key, 'review', 'review');
      // Validated like any input: a record from an older version or a damaged one is named, not used.
      return o
        ? parseStudyReview(await vault.getJson(o.id), `vault object ${o.id} (review of ${key})`)
        : null;
    },
    async audit(event, details, key) {
      const vault = session.require();
      const where = key === undefined ? null : vault.seriesLocation(key);
      await vault.recordEvent(event, where?.studyRef, details, where?.seriesRef);
    },
  };
}
