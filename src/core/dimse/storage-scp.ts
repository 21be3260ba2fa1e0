/**
 * The Storage SCP: answers C-ECHO and accepts CT instances (C-STORE) from the calling AE titles
 * allowed in the settings, each only from its own host address. A received dataset is kept in
 * memory exactly as sent, checked with the same parser the importer uses, and handed to the sink
 * with the association's other instances when the peer releases the association (or drops it):
 * the release response goes out only after the sink has stored them, so a peer that sees a
 * normal release knows its study is durable. Nothing is written to disk here.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { parseInstance, type InstanceHeader } from '../dicom';
import { transferSyntaxInfo } from '../dicom/transfer-syntax';
import { dimse, type Dimse } from './dimse-lib';
import { toPart10 } from './part10';
import { peerLabel, type AllowedPeer } from './settings';

const { Scp, Dataset } = dimse;
const { Status, PresentationContextResult, RejectResult, RejectSource, RejectReason, SopClass } =
  dimse.constants;
const { CEchoResponse, CStoreResponse } = dimse.responses;

/** The storage SOP classes a CT arrives in. */
export const CT_STORAGE_CLASSES: ReadonlySet<string> = new Set([
  '1.2.840.10008.5.1.4.1.1.2', // CT Image Storage
  '1.2.840.10008.5.1.4.1.1.2.1', // Enhanced CT Image Storage
  '1.2.840.10008.5.1.4.1.1.2.2', // Legacy Converted Enhanced CT Image Storage
]);

/** C-STORE failure statuses (PS3.4 B.2.3). */
const STATUS_OUT_OF_RESOURCES = 0xa700;
const STATUS_DATASET_MISMATCH = 0xa900;
const STATUS_CANNOT_UNDERSTAND = 0xc000;

/** One validated instance: its Part 10 bytes and parsed header, keyed by a pseudo path. */
export interface ReceivedFile {
  path: string;
  bytes: Uint8Array;
  header: InstanceHeader;
}

export interface ReceivedBatch {
  from: AllowedPeer;
  files: ReceivedFile[];
}

export type ScpEvent =
  | { kind: 'association-refused'; callingAeTitle: string; host: string; reason: string }
  | { kind: 'instance-refused'; from: AllowedPeer; status: number; reason: string }
  | { kind: 'echo'; from: AllowedPeer };

export interface StorageScpOptions {
  aeTitle: string;
  port: number;
  listenHost: string;
  allowedPeers: readonly AllowedPeer[];
  timeoutSeconds: number;
  /** Stores one association's instances; a throw aborts the association instead of releasing. */
  store(batch: ReceivedBatch): Promise<void>;
  /** Refusals and echoes, for the audit log (never patient data). */
  onEvent?(e: ScpEvent): void;
  /** When false (vault locked), associations are refused as temporarily unable. */
  canReceive?(): boolean;
  /** Cap on one association's buffered bytes before instances are refused (default 4 GiB). */
  maxAssociationBytes?: number;
}

export interface RunningScp {
  port: number;
  host: string;
  /** Stops listening; open associations are aborted and what they had received is stored. */
  close(): Promise<void>;
}

function normalizeHost(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The first transfer syntax the peer proposes that PulmoLens decodes; undefined if none. */
function pickTransferSyntax(offered: string[]): string | undefined {
  return offered.find((ts) => transferSyntaxInfo(ts) !== undefined);
}

/** Accumulates a C-STORE dataset's PDV bytes as they arrive (the library's hook). */
class DatasetSink extends Writable {
  readonly chunks: Buffer[] = [];
  bytes = 0;
  constructor(readonly request: Dimse.requests.CStoreRequest) {
    // write() must never report back-pressure: the library then awaits 'drain' inside a PDU
    // handler that its event emitter does not await, so the next PDU would be processed
    // meanwhile and the dataset's fragments stored out of order. Writes complete synchronously.
    super({ highWaterMark: 2 ** 31 - 1 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    cb();
  }
}

export async function startStorageScp(opts: StorageScpOptions): Promise<RunningScp> {
  const sessions = new Set<{ finish(): Promise<void>; abort(): void }>();
  const maxBytes = opts.maxAssociationBytes ?? 4 * 1024 ** 3;

  class PulmoLensScp extends Scp {
    private peer: AllowedPeer | null = null;
    private readonly files = new Map<string, ReceivedFile>();
    private buffered = 0;
    private readonly raw = new WeakMap<object, { bytes: Buffer; ts: string }>();
    private finished: Promise<void> | null = null;
    private readonly session = {
      finish: () => this.finish(),
      abort: () => {
        this.sendAbort();
        this.sock.destroy();
      },
    };

    constructor(
      private readonly sock: Socket,
      scpOpts: ConstructorParameters<typeof Scp>[1],
    ) {
      super(sock, scpOpts);
      sessions.add(this.session);
      // A dropped association still stores what it had received and acknowledged.
      this.on('close', () => {
        sessions.delete(this.session);
        void this.finish().catch(() => undefined);
      });
    }

    override associationRequested(association: Dimse.association.Association): void {
      const calling = association.getCallingAeTitle().trim();
      const called = association.getCalledAeTitle().trim();
      const host = normalizeHost(this.sock.remoteAddress);
      const refuse = (reason: string, result: number, why: number) => {
        opts.onEvent?.({ kind: 'association-refused', callingAeTitle: calling, host, reason });
        this.sendAssociationReject(result, RejectSource.ServiceUser, why);
      };
      if (called !== opts.aeTitle) {
        return refuse(
          `called AE title ${called} is not ${opts.aeTitle}`,
          RejectResult.Permanent,
          RejectReason.CalledAeNotRecognized,
        );
      }
      const peer = opts.allowedPeers.find((p) => p.aeTitle === calling && p.host === host);
      if (!peer) {
        return refuse(
          `${calling}@${host} is not an allowed peer`,
          RejectResult.Permanent,
          RejectReason.CallingAeNotRecognized,
        );
      }
      if (opts.canReceive && !opts.canReceive()) {
        return refuse('the vault is locked', RejectResult.Transient, RejectReason.TemporaryCongestion);
      }
      this.peer = peer;
      for (const c of association.getPresentationContexts()) {
        const ctx = association.getPresentationContext(c.id);
        const abstract = ctx.getAbstractSyntaxUid();
        if (abstract !== SopClass.Verification && !CT_STORAGE_CLASSES.has(abstract)) {
          ctx.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
          continue;
        }
        const ts = pickTransferSyntax(ctx.getTransferSyntaxUids());
        if (ts) ctx.setResult(PresentationContextResult.Accept, ts);
        else ctx.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
      }
      this.sendAssociationAccept();
    }

    override createStoreWritableStream(
      _ctx: Dimse.association.PresentationContext,
      request: Dimse.requests.CStoreRequest,
    ): Writable {
      return new DatasetSink(request);
    }

    override createDatasetFromStoreWritableStream(
      writable: Writable,
      ctx: Dimse.association.PresentationContext,
      callback: (dataset: Dimse.Dataset) => void,
    ): void {
      const sink = writable as DatasetSink;
      const bytes = Buffer.concat(sink.chunks, sink.bytes);
      sink.chunks.length = 0;
      this.raw.set(sink.request, { bytes, ts: ctx.getAcceptedTransferSyntaxUid() ?? '' });
      // The library wants a Dataset object; the real bytes are handled in cStoreRequest.
      callback(new Dataset({}));
    }

    override cEchoRequest(
      request: Dimse.requests.CEchoRequest,
      callback: (response: Dimse.responses.CEchoResponse) => void,
    ): void {
      if (this.peer) opts.onEvent?.({ kind: 'echo', from: this.peer });
      const response = CEchoResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }

    override cStoreRequest(
      request: Dimse.requests.CStoreRequest,
      callback: (response: Dimse.responses.CStoreResponse) => void,
    ): void {
      const response = CStoreResponse.fromRequest(request);
      const status = this.accept(request);
      response.setStatus(status);
      callback(response);
    }

    /** Validates and keeps one instance; returns the C-STORE status. */
    private accept(request: Dimse.requests.CStoreRequest): number {
      const peer = this.peer!;
      const raw = this.raw.get(request);
      this.raw.delete(request);
      const sopClassUid = request.getAffectedSopClassUid();
      const sopInstanceUid = request.getAffectedSopInstanceUid();
      const refuse = (status: number, reason: string): number => {
        opts.onEvent?.({ kind: 'instance-refused', from: peer, status, reason });
        return status;
      };
      if (!raw) return refuse(STATUS_CANNOT_UNDERSTAND, 'no dataset arrived with the C-STORE request');
      if (this.buffered + raw.bytes.length > maxBytes) {
        return refuse(
          STATUS_OUT_OF_RESOURCES,
          `association exceeds ${maxBytes} bytes; send the rest in a new one`,
        );
      }
      const path = `dimse://${peerLabel(peer)}/${sopInstanceUid}`;
      const bytes = toPart10({
        sopClassUid,
        sopInstanceUid,
        transferSyntaxUid: raw.ts,
        sourceAeTitle: peer.aeTitle,
        dataset: raw.bytes,
      });
      let header: InstanceHeader;
      try {
        header = parseInstance(bytes, path).header;
      } catch (e) {
        // The reason names the parser's finding, never the data (no UIDs or names).
        const reason = e instanceof Error ? e.message.replace(path, 'received instance') : String(e);
        return refuse(STATUS_CANNOT_UNDERSTAND, reason);
      }
      if (header.sopInstanceUid !== sopInstanceUid) {
        return refuse(
          STATUS_DATASET_MISMATCH,
          'SOPInstanceUID in the dataset differs from the C-STORE request',
        );
      }
      const previous = this.files.get(path);
      this.buffered += bytes.length - (previous?.bytes.length ?? 0);
      this.files.set(path, { path, bytes, header });
      return Status.Success;
    }

    override associationReleaseRequested(): void {
      this.finish().then(
        () => this.sendAssociationReleaseResponse(),
        () => this.sendAbort(),
      );
    }

    /** Hands what this association received to the sink, once. */
    private finish(): Promise<void> {
      this.finished ??= (async () => {
        if (!this.peer || this.files.size === 0) return;
        const files = [...this.files.values()];
        this.files.clear();
        this.buffered = 0;
        await opts.store({ from: this.peer, files });
      })();
      return this.finished;
    }
  }

  const scpOpts = {
    connectTimeout: opts.timeoutSeconds * 1000,
    associationTimeout: opts.timeoutSeconds * 1000,
    pduTimeout: opts.timeoutSeconds * 1000,
    logCommandDatasets: false,
    logDatasets: false,
  };
  const server: Server = createServer((socket) => {
    const scp = new PulmoLensScp(socket, scpOpts);
    // What the library's own Server sets: the socket is already connected (starts the timeouts).
    Object.assign(scp, { connected: true, connectedTime: Date.now() });
    scp.on('networkError', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return {
    port: addr.port,
    host: addr.address,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...sessions].map((s) => s.finish().catch(() => undefined)));
      for (const s of sessions) s.abort();
      await closed;
    },
  };
}
