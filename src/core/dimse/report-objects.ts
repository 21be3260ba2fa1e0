/**
 * What goes to the PACS from a report folder: the SR (TID 1500), the parametric map when there is
 * one, and the PDF as an Encapsulated PDF in the same study.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import { buildEncapsulatedPdf, REPORT_FILES } from '../report';
import type { OutgoingObject } from './store-scu';

export async function reportObjects(dir: string): Promise<OutgoingObject[]> {
  const srPath = join(dir, REPORT_FILES.sr);
  if (!existsSync(srPath)) {
    throw new PulmoLensError(
      'NOT_FOUND',
      `no ${REPORT_FILES.sr} here: run \`pulmolens analyze --report\` (or export the report) first`,
      { path: dir },
    );
  }
  const sr = new Uint8Array(await readFile(srPath));
  const out: OutgoingObject[] = [{ name: REPORT_FILES.sr, bytes: sr }];
  const pmapPath = join(dir, REPORT_FILES.pmap);
  if (existsSync(pmapPath))
    out.push({ name: REPORT_FILES.pmap, bytes: new Uint8Array(await readFile(pmapPath)) });
  const pdfPath = join(dir, REPORT_FILES.pdf);
  if (existsSync(pdfPath)) {
    try {
      const pdf = buildEncapsulatedPdf(new Uint8Array(await readFile(pdfPath)), sr);
      out.push({ name: 'report-pdf.dcm', bytes: pdf.bytes });
    } catch (e) {
      throw new PulmoLensError('INVALID_INPUT', `cannot wrap the PDF: ${(e as Error).message}`, {
        path: pdfPath,
      });
    }
  }
  return out;
}
