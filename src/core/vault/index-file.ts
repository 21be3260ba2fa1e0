/**
 * index.plv: the encrypted catalogue of the vault. It lists every study and series with their
 * (patient-identifying) metadata and every object with its size and its wrapped per-object key.
 * It is replaced atomically; an object exists for readers only once the index naming it is on disk.
 *
 *   "PLVIDX01" | vault id (16) | generation u64 BE | seal(index key, JSON, AAD = magic|vault|generation)
 */
import { join } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import type { ScannedSeries, SeriesMetadata } from '../dicom/types';
import { aad, open, seal } from './crypto';
import { readFileOr, writeFileDurable } from './atomic-fs';

const INDEX_FILE = 'index.plv';
const MAGIC = Buffer.from('PLVIDX01', 'ascii');

export type ObjectKind = 'dicom' | 'volume-cache' | 'analysis' | 'review' | 'report' | 'other';

export interface ObjectRecord {
  id: string;
  kind: ObjectKind;
  size: number;
  chunkBytes: number;
  /** per-object key sealed with the object-key wrapping key (base64) */
  wrappedKey: string;
  studyRef: string | null;
  seriesRef: string | null;
  /** caller's label, e.g. "findings.json"; stored only inside the encrypted index */
  name: string;
  createdAt: string;
}

export interface InstanceRecord {
  objectId: string;
  sopInstanceUid: string;
  size: number;
}

export interface SeriesRecord {
  ref: string;
  key: string;
  metadata: SeriesMetadata;
  /** the scan result with every frame path replaced by `vault:<objectId>` */
  scanned: ScannedSeries;
  instances: InstanceRecord[];
  importedAt: string;
  /** "AET@host" of the DICOM peer that sent the series (received by the Storage SCP) */
  receivedFrom?: string;
}

export interface StudyRecord {
  ref: string;
  studyInstanceUid: string;
  patientName: string;
  patientId: string;
  patientBirthDate: string;
  patientSex: string;
  studyDate: string;
  studyDescription: string;
  accessionNumber: string;
  series: SeriesRecord[];
  importedAt: string;
}

export interface IndexDoc {
  version: 1;
  generation: number;
  studies: StudyRecord[];
  objects: Record<string, ObjectRecord>;
}

export function emptyIndex(): IndexDoc {
  return { version: 1, generation: 0, studies: [], objects: {} };
}

function indexPath(dir: string): string {
  return join(dir, INDEX_FILE);
}

function indexAad(vaultId: string, generation: number): Buffer {
  return aad('PLVIDX01', vaultId, generation);
}

export async function writeIndex(
  dir: string,
  tmpDir: string,
  vaultId: string,
  key: Buffer,
  doc: IndexDoc,
): Promise<void> {
  const gen = Buffer.alloc(8);
  gen.writeBigUInt64BE(BigInt(doc.generation));
  const body = seal(key, Buffer.from(JSON.stringify(doc), 'utf8'), indexAad(vaultId, doc.generation));
  await writeFileDurable(
    tmpDir,
    indexPath(dir),
    Buffer.concat([MAGIC, Buffer.from(vaultId, 'hex'), gen, body]),
  );
}

export async function readIndex(dir: string, vaultId: string, key: Buffer): Promise<IndexDoc> {
  const path = indexPath(dir);
  const raw = await readFileOr(path, 'vault index');
  const bad = (reason: string) =>
    new PulmoLensError('VAULT_CORRUPT', `vault index: ${reason}`, { path, details: { objectId: 'index' } });
  if (raw.length < 32 || !raw.subarray(0, 8).equals(MAGIC)) throw bad('bad header');
  if (raw.subarray(8, 24).toString('hex') !== vaultId) throw bad('belongs to another vault');
  const generation = Number(raw.readBigUInt64BE(24));
  const pt = open(key, raw.subarray(32), indexAad(vaultId, generation));
  if (!pt) throw bad('authentication failed (altered or from another vault)');
  const doc = JSON.parse(pt.toString('utf8')) as IndexDoc;
  pt.fill(0);
  if (doc.version !== 1 || doc.generation !== generation) throw bad('inconsistent generation');
  return doc;
}
