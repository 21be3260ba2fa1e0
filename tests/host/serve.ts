/**
 * Starts the test host as its own process (Playwright spawns it; so does the bench) and prints one
 * JSON line {url, origin, token} on stdout once it listens. Stops on SIGTERM or stdin close.
 */
import { tmpdir } from 'node:os';
import { buildTestRenderer } from './build-renderer';
import { startTestHost } from './test-host';

const dir = await buildTestRenderer(process.env.PULMOLENS_RENDERER_DIR);
const host = await startTestHost({ rendererDir: dir });
process.stdout.write(
  `${JSON.stringify({ url: host.url, origin: host.origin, token: host.token, vaultDir: host.vaultDir, tmpDir: tmpdir() })}\n`,
);
const stop = async () => {
  await host.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
