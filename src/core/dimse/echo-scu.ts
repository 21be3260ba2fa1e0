/**
 * C-ECHO SCU: the "Verify" of a destination before any result is sent to it. The outcomes are the
 * same typed errors as a send (refused association and why, no answer in time, cannot connect),
 * so a person can tell a wrong AE title from a wrong port.
 */
import { PulmoLensError } from '../../common/errors';
import { dimse } from './dimse-lib';
import { peerLabel, type Destination } from './settings';
import { associate, watchAssociation } from './store-scu';

const { Client } = dimse;
const { CEchoRequest } = dimse.requests;
const { Status } = dimse.constants;

export interface EchoResult {
  /** "AET@host:port" */
  destination: string;
  /** round trip from connecting to the echo response, in milliseconds */
  ms: number;
}

export function echo(
  to: Destination,
  opts: { callingAeTitle: string; timeoutSeconds: number },
): Promise<EchoResult> {
  const where = `${peerLabel(to)}:${to.port}`;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const client = new Client();
    let status: number | null = null;
    let settled = false;
    const finish = (err: PulmoLensError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (err) reject(err);
      else resolve({ destination: where, ms: Math.round(performance.now() - started) });
    };
    const req = new CEchoRequest();
    req.on('response', (r: InstanceType<typeof dimse.responses.CEchoResponse>) => {
      status = r.getStatus();
    });
    client.addRequest(req);
    const deadline = watchAssociation(client, where, opts.timeoutSeconds, 2, finish);
    client.on('closed', () => {
      if (status === Status.Success) finish(null);
      else
        finish(
          new PulmoLensError(
            status === null ? 'DIMSE_NETWORK' : 'DIMSE_REFUSED',
            status === null
              ? `${where} closed the connection without answering the echo`
              : `${where} answered the echo with status 0x${status.toString(16).padStart(4, '0')}`,
            { details: { destination: where } },
          ),
        );
    });
    associate(client, to, opts);
  });
}
