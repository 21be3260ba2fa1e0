/**
 * The encrypted, append-only, hash-chained audit log (audit.plv) and its sealed head
 * (audit-head.plv).
 *
 *   file    = "PLVAUD01" | vault id (16) | frame*
 *   frame   = length u32 BE | seal(audit key, JSON entry, AAD = magic|vault|seq)
 *   chain   = entry 0 carries prev = SHA-256(file header); entry n carries
 *             prev = SHA-256(prev of entry n-1 | frame n-1); the head carries (count, the link
 *             after the last frame).
 *
 * An edited entry fails authentication; a removed or reordered entry breaks `seq` and `prev`; a
 * cut-off tail disagrees with the head. Each link is checked against the authenticated `prev` of
 * the entry before it, so one damaged entry is named alone instead of breaking every later link. A frame torn by a crash while appending is recognised
 * (incomplete length) and dropped on the next writable unlock.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { aad, open, seal, sha256 } from './crypto';
import { ioError, readFileOr, writeFileDurable } from './atomic-fs';

export const AUDIT_FILE = 'audit.plv';
export const AUDIT_HEAD_FILE = 'audit-head.plv';
const MAGIC = Buffer.from('PLVAUD01', 'ascii');
const FILE_HEADER_BYTES = 24;

export type AuditEvent =
  | 'vault-created'
  | 'vault-unlocked'
  | 'vault-locked'
  | 'study-imported'
  | 'study-opened'
  | 'study-analysed'
  | 'study-exported'
  | 'study-deleted'
  | 'review-saved'
  | 'clinical-inputs-changed'
  | 'report-saved'
  | 'object-stored'
  | 'object-deleted'
  | 'orphans-removed'
  | 'passphrase-changed'
  | 'key-wrapping-rotated'
  | 'os-unlock-enabled'
  | 'os-unlock-disabled'
  | 'association-refused'
  | 'instance-refused'
  | 'study-received'
  | 'study-sent'
  | 'send-failed'
  | 'send-retried'
  | 'dimse-settings-changed'
  | 'analysis-failed';

export interface AuditEntry {
  seq: number;
  time: string;
  user: string;
  event: AuditEvent;
  /** random vault-internal reference, never a DICOM UID or a name */
  studyRef?: string;
  /** the series touched (vault-internal reference), when the entry is about one */
  seriesRef?: string;
  details?: Record<string, string | number | boolean>;
  prev: string;
}

export interface AuditProblem {
  seq: number | null;
  message: string;
}

/**
 * The operating-system account, from the system's own user database (not the environment, which
 * any caller can set): the fallback label of entries no reader signed.
 */
export function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown account';
  }
}

function fileHeader(vaultId: string): Buffer {
  return Buffer.concat([MAGIC, Buffer.from(vaultId, 'hex')]);
}

function entryAad(vaultId: string, seq: number): Buffer {
  return aad('PLVAUD01/entry', vaultId, seq);
}

function headAad(vaultId: string): Buffer {
  return aad('PLVAUD01/head', vaultId);
}

interface Frame {
  offset: number;
  bytes: Buffer;
}

/** Splits the log into complete frames; `tornBytes` are trailing bytes of an interrupted append. */
function splitFrames(buf: Buffer): { frames: Frame[]; tornBytes: number; end: number } {
  const frames: Frame[] = [];
  let off = FILE_HEADER_BYTES;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt32BE(off);
    if (off + 4 + len > buf.length) break;
    frames.push({ offset: off, bytes: buf.subarray(off, off + 4 + len) });
    off += 4 + len;
  }
  return { frames, tornBytes: Math.max(0, buf.length - off), end: off };
}

interface Head {
  count: number;
  hash: string;
}

export class AuditLog {
  private constructor(
    private readonly dir: string,
    private readonly tmpDir: string,
    private readonly vaultId: string,
    private count: number,
    private last: Buffer,
  ) {}

  static path(dir: string): string {
    return join(dir, AUDIT_FILE);
  }

  static async create(dir: string, tmpDir: string, vaultId: string, key: Buffer): Promise<AuditLog> {
    await writeFileDurable(tmpDir, AuditLog.path(dir), fileHeader(vaultId));
    const log = new AuditLog(dir, tmpDir, vaultId, 0, sha256(fileHeader(vaultId)));
    await log.writeHead(key);
    return log;
  }

  /**
   * Opens for appending: drops a torn tail and continues the chain after the last frame. A
   * damaged log never blocks the vault (verify reports it).
   */
  static async openForAppend(dir: string, tmpDir: string, vaultId: string, key: Buffer): Promise<AuditLog> {
    const path = AuditLog.path(dir);
    const buf = await readFileOr(path, 'audit log');
    const { frames, tornBytes, end } = splitFrames(buf);
    if (tornBytes > 0) {
      try {
        await fsp.truncate(path, end);
      } catch (err) {
        throw ioError(err, 'repair the audit log after an interrupted write', path);
      }
    }
    let link = sha256(buf.subarray(0, FILE_HEADER_BYTES));
    const last = frames.at(-1);
    if (last) {
      const pt = open(key, last.bytes.subarray(4), entryAad(vaultId, frames.length - 1));
      const prev = pt
        ? Buffer.from((JSON.parse(pt.toString('utf8')) as AuditEntry).prev, 'hex')
        : sha256(buf);
      link = sha256(prev, last.bytes);
    }
    return new AuditLog(dir, tmpDir, vaultId, frames.length, link);
  }

  private tail: Promise<unknown> = Promise.resolve();
  /**
   * Who entries name: the reader who unlocked (name and optional ID from the lock screen); the OS
   * account only where no one said who they are (command-line scripts).
   */
  actor: string | null = null;

  /** Appends one entry; concurrent calls are chained so sequence numbers and links never race. */
  append(
    key: Buffer,
    e: { event: AuditEvent; studyRef?: string; seriesRef?: string; details?: AuditEntry['details'] },
  ): Promise<AuditEntry> {
    const run = this.tail.then(
      () => this.appendNow(key, e),
      () => this.appendNow(key, e),
    );
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async appendNow(
    key: Buffer,
    e: { event: AuditEvent; studyRef?: string; seriesRef?: string; details?: AuditEntry['details'] },
  ): Promise<AuditEntry> {
    const entry: AuditEntry = {
      seq: this.count,
      time: new Date().toISOString(),
      user: this.actor ?? osUser(),
      event: e.event,
      ...(e.studyRef ? { studyRef: e.studyRef } : {}),
      ...(e.seriesRef ? { seriesRef: e.seriesRef } : {}),
      ...(e.details ? { details: e.details } : {}),
      prev: this.last.toString('hex'),
    };
    const sealed = seal(key, Buffer.from(JSON.stringify(entry), 'utf8'), entryAad(this.vaultId, entry.seq));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(sealed.length);
    const frame = Buffer.concat([len, sealed]);
    const path = AuditLog.path(this.dir);
    let fh: fsp.FileHandle | undefined;
    try {
      fh = await fsp.open(path, 'a');
      await fh.write(frame);
      await fh.sync();
    } catch (err) {
      throw ioError(err, 'append to the audit log', path);
    } finally {
      await fh?.close().catch(() => undefined);
    }
    this.count += 1;
    this.last = sha256(this.last, frame);
    await this.writeHead(key);
    return entry;
  }

  private async writeHead(key: Buffer): Promise<void> {
    const head: Head = { count: this.count, hash: this.last.toString('hex') };
    const sealed = seal(key, Buffer.from(JSON.stringify(head), 'utf8'), headAad(this.vaultId));
    await writeFileDurable(this.tmpDir, join(this.dir, AUDIT_HEAD_FILE), sealed);
  }
}

/** Reads and checks the whole log; never writes. */
export async function readAuditLog(
  dir: string,
  vaultId: string,
  key: Buffer,
): Promise<{ entries: AuditEntry[]; problems: AuditProblem[]; notes: string[] }> {
  const problems: AuditProblem[] = [];
  const notes: string[] = [];
  const entries: AuditEntry[] = [];
  const buf = await readFileOr(AuditLog.path(dir), 'audit log');
  if (buf.length < FILE_HEADER_BYTES || !buf.subarray(0, FILE_HEADER_BYTES).equals(fileHeader(vaultId))) {
    problems.push({ seq: null, message: 'audit log: bad file header (replaced or from another vault)' });
    return { entries, problems, notes };
  }
  const { frames, tornBytes } = splitFrames(buf);
  // links[i]: the link after frame i, or null where frame i could not be authenticated
  const links: Array<Buffer | null> = [];
  let link: Buffer | null = sha256(buf.subarray(0, FILE_HEADER_BYTES));
  let expectedSeq = 0;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    const sealed = f.bytes.subarray(4);
    // Try the position's sequence number first; an entry that authenticates under another one
    // was moved, which tells a removal or reordering apart from an edit.
    let entry: AuditEntry | null = null;
    const pt = open(key, sealed, entryAad(vaultId, expectedSeq));
    if (pt) entry = JSON.parse(pt.toString('utf8')) as AuditEntry;
    else {
      for (let s = 0; s < frames.length + 64 && !entry; s++) {
        if (s === expectedSeq) continue;
        const alt = open(key, sealed, entryAad(vaultId, s));
        if (alt) entry = JSON.parse(alt.toString('utf8')) as AuditEntry;
      }
    }
    if (!entry) {
      problems.push({
        seq: expectedSeq,
        message: `audit entry ${expectedSeq} (at byte ${f.offset}) fails authentication: edited or corrupted`,
      });
      link = null;
      expectedSeq += 1;
    } else {
      if (entry.seq !== expectedSeq) {
        problems.push({
          seq: entry.seq,
          message:
            entry.seq > expectedSeq
              ? `audit entries ${expectedSeq}..${entry.seq - 1} are missing (removed)`
              : `audit entry ${entry.seq} appears again at position ${i} (duplicated or reordered)`,
        });
      } else if (link && entry.prev !== link.toString('hex')) {
        problems.push({
          seq: entry.seq,
          message: `audit entry ${entry.seq}: hash chain broken (an entry before it was replaced)`,
        });
      }
      entries.push(entry);
      link = sha256(Buffer.from(entry.prev, 'hex'), f.bytes);
      expectedSeq = entry.seq + 1;
    }
    links.push(link);
  }

  let head: Head | null = null;
  try {
    const raw = await fsp.readFile(join(dir, AUDIT_HEAD_FILE));
    const pt = open(key, raw, headAad(vaultId));
    if (pt) head = JSON.parse(pt.toString('utf8')) as Head;
    else problems.push({ seq: null, message: 'audit head fails authentication: edited or corrupted' });
  } catch {
    problems.push({ seq: null, message: 'audit head (audit-head.plv) is missing' });
  }
  if (head) {
    const n = frames.length;
    if (n < head.count) {
      problems.push({
        seq: n,
        message: `audit log truncated: entries ${n}..${head.count - 1} are missing at the end`,
      });
    } else if (n > head.count + 1) {
      problems.push({ seq: head.count, message: `audit head is stale: ${n - head.count} entries after it` });
    } else {
      const at = head.count === 0 ? sha256(buf.subarray(0, FILE_HEADER_BYTES)) : links[head.count - 1]!;
      // (an unauthenticated last entry is reported above already)
      if (at && at.toString('hex') !== head.hash) {
        problems.push({
          seq: head.count - 1,
          message: 'audit log does not match its head (entries replaced)',
        });
      }
      if (n === head.count + 1) notes.push('the last audit entry was written just before an interruption');
    }
  }
  if (tornBytes > 0)
    notes.push(`audit log ends with ${tornBytes} bytes of an interrupted append (dropped on next unlock)`);
  return { entries, problems, notes };
}
