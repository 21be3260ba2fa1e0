/**
 * What goes to the PACS: the SR (TID 1500), the parametric map when there is one, and the PDF as
 * an Encapsulated PDF in the same study. From a report folder (`pulmolens send <folder>`) or built
 * in memory from a stored analysis (the workspace, `pulmolens send --vault`): nothing on disk.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import { buildEncapsulatedPdf, buildReportFiles, REPORT_FILES, type ReportInput } from '../report';
import type { OutgoingObject } from './store-scu';

const PDF_OBJECT = 'report-pdf.dcm';

function encapsulate(pdf: Uint8Array, sr: Uint8Array, where: string): OutgoingObject {
  try {
    return { name: PDF_OBJECT, bytes: buildEncapsulatedPdf(pdf, sr).bytes };
  } catch (e) {
    throw new PulmoLensError('INVALID_INPUT', `cannot wrap the PDF: ${(e as Error).message}`, {
      path: where,
    });
  }
}

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
  if (existsSync(pdfPath)) out.push(encapsulate(new Uint8Array(await readFile(pdfPath)), sr, pdfPath));
  return out;
}

/** The SR, the parametric map (with a heatmap) and the Encapsulated PDF, built in memory. */
export async function reportObjectsOf(input: ReportInput): Promise<OutgoingObject[]> {
  const built = await buildReportFiles(input, ['sr', 'pmap', 'pdf']);
  const bytes = (kind: 'sr' | 'pmap' | 'pdf') => {
    const hit = built.files.find(([k]) => k === kind)?.[1];
    return typeof hit === 'string' ? new TextEncoder().encode(hit) : hit;
  };
  const sr = bytes('sr')!;
  const pmap = bytes('pmap');
  const out: OutgoingObject[] = [{ name: REPORT_FILES.sr, bytes: sr }];
  if (pmap) out.push({ name: REPORT_FILES.pmap, bytes: pmap });
  out.push(encapsulate(bytes('pdf')!, sr, REPORT_FILES.pdf));
  return out;
}
