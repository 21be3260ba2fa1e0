import * as ort from 'onnxruntime-node';
import { PulmoLensError } from '../errors';

export const EXECUTION_PROVIDERS = ['cuda', 'tensorrt', 'dml', 'coreml', 'webgpu', 'cpu'] as const;
export type ExecutionProviderName = (typeof EXECUTION_PROVIDERS)[number];
/** 'auto' tries the platform's GPU providers first, then the CPU. */
export type ProviderChoice = ExecutionProviderName | 'auto';

export function isProviderChoice(s: string): s is ProviderChoice {
  return s === 'auto' || (EXECUTION_PROVIDERS as readonly string[]).includes(s);
}

/**
 * The order to try providers in. A forced provider (the option, else PULMOLENS_EP) is tried alone
 * and then the CPU, because onnxruntime does not fall back when a provider fails to initialise.
 */
export function providerOrder(
  choice: ProviderChoice | undefined,
  platform: NodeJS.Platform = process.platform,
  env: string | undefined = process.env.PULMOLENS_EP,
): ExecutionProviderName[] {
  let wanted: ProviderChoice = choice ?? 'auto';
  if (choice === undefined && env) {
    const e = env.trim().toLowerCase();
    if (!isProviderChoice(e)) {
      throw new PulmoLensError(
        'INVALID_INPUT',
        `PULMOLENS_EP=${env} is not one of auto, ${EXECUTION_PROVIDERS.join(', ')}`,
      );
    }
    wanted = e;
  }
  if (wanted !== 'auto') return wanted === 'cpu' ? ['cpu'] : [wanted, 'cpu'];
  if (platform === 'win32') return ['dml', 'webgpu', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'webgpu', 'cpu'];
  return ['cuda', 'tensorrt', 'webgpu', 'cpu'];
}

// Failed GPU attempts are expected and reported by openSession; onnxruntime's process-wide logger
// would otherwise print them as errors before any session option applies.
if (!process.env.PULMOLENS_ORT_VERBOSE) ort.env.logLevel = 'fatal';

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
