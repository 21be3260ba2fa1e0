/**
 * dcmjs-dimse (MIT, maintained, pure JS on Node's net/tls): DIMSE services as SCU and SCP with
 * per-request asynchronous handlers and a hook to receive C-STORE datasets as raw bytes, which
 * lets received instances go from the socket to the vault without a re-encode or a temp file.
 * Its own logging is silenced: it would print AE titles and UIDs to the console.
 */
import { createRequire } from 'node:module';
import type * as Dimse from 'dcmjs-dimse';

export const dimse = createRequire(import.meta.url)('dcmjs-dimse') as typeof Dimse;
dimse.log.setLevel('silent');

export type { Dimse };
