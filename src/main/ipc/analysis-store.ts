/**
 * Where analyses and reviews are kept between sessions. The app keeps them in the encrypted vault
 * (the vault session's UnlockedVault); the memory store serves tests and the time before a vault
 * is unlocked. Objects in the vault are immutable, so the newest object with a name wins.
 */
import { PulmoLensError } from '../../common/errors';
import type { FindingsDocument } from '../../common/findings/findings-document';
import type { Heatmap } from '../../core/inference/pipeline';
import type { StudyReview } from '../../common/review/review';
import type { AuditEvent, ObjectKind, UnlockedVault } from '../../core/vault';
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
  loadHeatmap(key: string): Promise<Heatmap | null>;
  saveReview(key: string, review: StudyReview): Promise<void>;
  loadReview(key: string): Promise<StudyReview | null>;
  /** An audit entry for something that leaves no stored object (an export). */
  audit(event: AuditEvent, details: Record<string, string | number | boolean>): Promise<void>;
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
 * The vault-backed store. Object names carry the series key only inside the encrypted index;
 * putObject itself writes the audit entries (study-analysed, review-saved).
 */
export function vaultAnalysisStore(session: VaultAccess): AnalysisStore {
  const newest = (vault: UnlockedVault, kind: ObjectKind, name: string) => {
    const hits = vault
      .listObjects({ kind })
      .filter((o) => o.name === name)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    return hits.at(-1) ?? null;
  };
  const names = (key: string) => ({
    meta: `analysis/${key}/findings.json`,
    heatmap: `analysis/${key}/heatmap.u8`,
    review: `review/${key}/review.json`,
  });
  return {
    async saveAnalysis(meta, heatmap) {
      const vault = session.require();
      const n = names(meta.key);
      // Heatmap first: a meta object never points at a heatmap that is not there.
      await vault.putObject(
        null,
        'analysis',
        Buffer.from(heatmap.buffer, heatmap.byteOffset, heatmap.byteLength),
        {
          name: n.heatmap,
        },
      );
      await vault.putObject(null, 'analysis', JSON.stringify(meta), { name: n.meta });
    },
    async loadAnalysis(key) {
      const vault = session.require();
      const o = newest(vault, 'analysis', names(key).meta);
      return o ? vault.getJson<StoredAnalysisMeta>(o.id) : null;
    },
    async loadHeatmap(key) {
      const vault = session.require();
      const meta = await this.loadAnalysis(key);
      const o = newest(vault, 'analysis', names(key).heatmap);
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
      await session.require().putObject(null, 'review', JSON.stringify(review), { name: names(key).review });
    },
    async loadReview(key) {
      const vault = session.require();
      const o = newest(vault, 'review', names(key).review);
      return o ? vault.getJson<StudyReview>(o.id) : null;
    },
    async audit(event, details) {
      await session.require().recordEvent(event, undefined, details);
    },
  };
}
