/**
 * C-STORE SCU: sends Part 10 objects (the SR, the parametric map, the encapsulated PDF) to one
 * destination in one association. Every outcome is a typed error a person can act on: refused
 * association (which reason), no answer in time, connection failure, or a failure status.
 */
import { PulmoLensError } from '../../common/errors';
import { dimse } from './dimse-lib';
import { peerLabel, type Destination } from './settings';

const { Client, Dataset } = dimse;
const { CStoreRequest } = dimse.requests;
const { Status, RejectReason } = dimse.constants;

export interface OutgoingObject {
  /** a label for messages (file name), never patient data */
  name: string;
  bytes: Uint8Array;
}

export interface SendResult {
  sent: number;
  destination: string;
}

export const REJECT_REASONS: Record<number, string> = {
  [RejectReason.CallingAeNotRecognized]: 'our AE title is not known to it',
  [RejectReason.CalledAeNotRecognized]: 'its AE title is not the one configured',
  [RejectReason.TemporaryCongestion]: 'it is busy (temporary congestion)',
  [RejectReason.LocalLimitExceeded]: 'it has reached its connection limit',
  [RejectReason.ApplicationContextNotSupported]: 'it does not support the DICOM application context',
  [RejectReason.ProtocolVersionNotSupported]: 'it does not support the protocol version',
};

/**
 * What every SCU association shares: a deadline for the whole exchange (`rounds` times the
 * per-step timeout), a refused association with the reason a person can act on, and a network
 * failure, each handed to `finish` as a typed error. Returns the deadline for `finish` to clear.
 */
export function watchAssociation(
  client: InstanceType<typeof Client>,
  where: string,
  timeoutSeconds: number,
  rounds: number,
  finish: (err: PulmoLensError) => void,
): ReturnType<typeof setTimeout> {
  const deadline = setTimeout(
    () =>
      finish(
        new PulmoLensError('DIMSE_TIMEOUT', `${where} did not answer within ${timeoutSeconds} s`, {
          details: { destination: where },
        }),
      ),
    timeoutSeconds * 1000 * rounds,
  );
  client.on('associationRejected', (e: { reason: number }) =>
    finish(
      new PulmoLensError(
        'DIMSE_REFUSED',
        `${where} refused the association: ${REJECT_REASONS[e.reason] ?? `reason ${e.reason}`}`,
        { details: { destination: where, reason: e.reason } },
      ),
    ),
  );
  client.on('networkError', (e: Error) =>
    finish(
      new PulmoLensError(
        /timeout/i.test(e.message) ? 'DIMSE_TIMEOUT' : 'DIMSE_NETWORK',
        `cannot reach ${where}: ${e.message}`,
        { details: { destination: where } },
      ),
    ),
  );
  return deadline;
}

/** Opens the association: every step (connect, association, each PDU) limited to the timeout. */
export function associate(
  client: InstanceType<typeof Client>,
  to: Destination,
  opts: { callingAeTitle: string; timeoutSeconds: number },
): void {
  const ms = opts.timeoutSeconds * 1000;
  client.send(to.host, to.port, opts.callingAeTitle, to.aeTitle, {
    connectTimeout: ms,
    associationTimeout: ms,
    pduTimeout: ms,
    logCommandDatasets: false,
    logDatasets: false,
  });
}

type DatasetFactory = { _fromP10Buffer(buffer: Buffer): InstanceType<typeof Dataset> };

export function sendObjects(
  objects: readonly OutgoingObject[],
  to: Destination,
  opts: { callingAeTitle: string; timeoutSeconds: number },
): Promise<SendResult> {
  const where = peerLabel(to) + `:${to.port}`;
  if (objects.length === 0) return Promise.resolve({ sent: 0, destination: where });
  return new Promise((resolve, reject) => {
    const client = new Client();
    const failures: string[] = [];
    let answered = 0;
    let settled = false;
    const finish = (err: PulmoLensError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (err) reject(err);
      else resolve({ sent: objects.length, destination: where });
    };
    for (const o of objects) {
      let ds: InstanceType<typeof Dataset>;
      try {
        ds = (Dataset as unknown as DatasetFactory)._fromP10Buffer(Buffer.from(o.bytes));
      } catch (e) {
        finish(
          new PulmoLensError('DICOM_MALFORMED', `cannot be sent: ${(e as Error).message}`, { path: o.name }),
        );
        return;
      }
      const req = new CStoreRequest(ds);
      req.on('response', (r: InstanceType<typeof dimse.responses.CStoreResponse>) => {
        answered += 1;
        const status = r.getStatus();
        // 0xB000-0xB007 are warnings: the object was stored (coerced or with elements discarded).
        if (status !== Status.Success && (status & 0xf000) !== 0xb000) {
          failures.push(`${o.name}: status 0x${status.toString(16).padStart(4, '0')}`);
        }
      });
      client.addRequest(req);
    }
    // The library's own timeouts cover idle peers; this one covers the whole exchange.
    const deadline = watchAssociation(
      client,
      where,
      opts.timeoutSeconds,
      Math.max(2, objects.length),
      finish,
    );
    client.on('closed', () => {
      if (failures.length > 0) {
        finish(
          new PulmoLensError('DIMSE_REFUSED', `${where} did not store ${failures.join(', ')}`, {
            details: { destination: where },
          }),
        );
      } else if (answered < objects.length) {
        finish(
          new PulmoLensError(
            'DIMSE_NETWORK',
            `${where} closed the connection after ${answered} of ${objects.length} object(s)`,
            { details: { destination: where } },
          ),
        );
      } else finish(null);
    });
    associate(client, to, opts);
  });
}
