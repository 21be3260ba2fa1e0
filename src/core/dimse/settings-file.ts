/**
 * The DICOM networking settings on disk (AE titles, addresses and ports: no patient data, so not
 * in the vault, which is locked when the app starts). Written atomically; a damaged or hand-edited
 * file that fails validation is reported, never silently replaced.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { PulmoLensError } from '../../common/errors';
import { parseOrExplain } from './parse-flags';
import { DimseSettings, defaultDimseSettings } from './settings';

export async function loadDimseSettings(path: string): Promise<DimseSettings> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return defaultDimseSettings();
    throw new PulmoLensError('IO_ERROR', `cannot read the DICOM network settings: ${(e as Error).message}`, {
      path,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PulmoLensError('INVALID_INPUT', 'the DICOM network settings file is not JSON', { path });
  }
  try {
    return parseOrExplain('DICOM network settings', () => DimseSettings.parse(json));
  } catch (e) {
    if (e instanceof PulmoLensError) throw new PulmoLensError(e.code, e.message, { path });
    throw e;
  }
}

export async function saveDimseSettings(path: string, settings: DimseSettings): Promise<DimseSettings> {
  const valid = parseOrExplain('DICOM network settings', () => DimseSettings.parse(settings));
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(valid, null, 2)}\n`, { mode: 0o600, flush: true });
  await rename(tmp, path);
  return valid;
}
