import * as ort from 'onnxruntime-node';
import { PulmoLensError } from '../../common/errors';
import type { ExecutionProviderName, ProviderChoice } from './config';

/**
 * The order to try providers in. A forced provider is tried alone and then the CPU, because
 * onnxruntime does not fall back when a provider fails to initialise.
 */
export function providerOrder(
  choice: ProviderChoice,
  platform: NodeJS.Platform = process.platform,
): ExecutionProviderName[] {
  if (choice !== 'auto') return choice === 'cpu' ? ['cpu'] : [choice, 'cpu'];
  if (platform === 'win32') return ['dml', 'webgpu', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'webgpu', 'cpu'];
  return ['cuda', 'tensorrt', 'webgpu', 'cpu'];
}

/**
 * Failed GPU attempts are expected and reported by openSession; onnxruntime's process-wide logger
 * would otherwise print them as errors before any session option applies. It reads the level once,
 * at the first session of the thread, so entry points set it before any model opens.
 */
export function setOrtVerbose(verbose: boolean): void {
  ort.env.logLevel = verbose ? 'warning' : 'fatal';
}
setOrtVerbose(false);

export interface ProviderAttempt {
  provider: ExecutionProviderName;
  ok: boolean;
  reason?: string;
}

export interface OpenedSession {
  session: ort.InferenceSession;
  provider: ExecutionProviderName;
  attempts: ProviderAttempt[];
}

/**
 * Creates a session on the first provider that both initialises and runs `probe` (a provider can
 * load and still fail on its first real run, e.g. a missing kernel or too little GPU memory).
 */
export async function openSession(
  model: Uint8Array,
  order: ExecutionProviderName[],
  probe: (s: ort.InferenceSession) => Promise<void>,
  label: string,
): Promise<OpenedSession> {
  const attempts: ProviderAttempt[] = [];
  for (const provider of order) {
    let session: ort.InferenceSession | undefined;
    try {
      session = await ort.InferenceSession.create(model, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        // A failed GPU attempt is expected and reported by us; keep onnxruntime's own log quiet.
        logSeverityLevel: provider === 'cpu' ? 2 : 4,
      });
      await probe(session);
      attempts.push({ provider, ok: true });
      return { session, provider, attempts };
    } catch (e) {
      if (e instanceof PulmoLensError && e.code === 'MODEL_MISMATCH') {
        // The graph does not keep its manifest's contract (an output missing or misshapen): no
        // other provider can mend that, and "no provider could run it" would send IT hunting GPUs.
        if (session) await session.release().catch(() => undefined);
        throw e;
      }
      attempts.push({
        provider,
        ok: false,
        reason: e instanceof Error ? e.message.split('\n')[0] : String(e),
      });
      if (session) await session.release().catch(() => undefined);
    }
  }
  throw new PulmoLensError(
    'MODEL_RUNTIME',
    `${label}: no execution provider could run the model (${attempts.map((a) => `${a.provider}: ${a.reason}`).join('; ')})`,
    { details: { attempts } },
  );
}
