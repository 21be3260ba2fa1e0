import { dirname, join } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import { parseDataSet } from './parse-instance';

/**
 * Lists the image files a DICOMDIR references (Referenced File ID, backslash-separated path
 * components relative to the DICOMDIR's folder). Records that escape that folder are refused.
 */
export function dicomDirFiles(bytes: Uint8Array, path: string): string[] {
  const ds = parseDataSet(bytes, path);
  const records = ds.elements['x00041220']?.items;
  if (!records) {
    throw new PulmoLensError('DICOM_MALFORMED', 'DICOMDIR has no Directory Record Sequence (0004,1220)', {
      path,
    });
  }
  const base = dirname(path);
  const out: string[] = [];
  for (const item of records) {
    const rec = item.dataSet;
    if (!rec) continue;
    const id = rec.string('x00041500');
    if (!id) continue;
    const parts = id.trim().split('\\').filter(Boolean);
    if (parts.some((p) => p === '..' || p.includes('/'))) {
      throw new PulmoLensError('DICOM_MALFORMED', `DICOMDIR record points outside its folder: "${id}"`, {
        path,
      });
    }
    out.push(join(base, ...parts));
  }
  return out;
}
