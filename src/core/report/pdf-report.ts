/**
 * The PDF report (pdf-lib, standard Helvetica): patient and study header, review status, exam
 * Lung-RADS, model identity, the findings table, notes, and key images of each reported finding
 * (lung window, with and without the heatmap). Every page carries the research-use disclaimer.
 * Standard fonts only encode WinAnsi, so all text goes through `winAnsi` first.
 */
import { imageNoiseText } from '../../common/findings/image-noise-text';
import { heatmapModel, type FindingsDocument } from '../../common/findings/findings-document';
import { PDFDocument, StandardFonts, degrees, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import { imageNumberLabel, instanceNumbersBySlot } from '../../common/image-number';
import { clinicalInputsText, emphysemaIndexText } from '../../common/findings/clinical-inputs';
import { encodePng, renderKeyImages } from './key-image';
import { marginLabel } from '../../common/findings/margin';
import { readerMargin } from '../../common/review';
import { DEFAULT_SOFTWARE, DISCLAIMER, type ReportContent, type ReportInput } from './report-input';

const PAGE: [number, number] = [595.28, 841.89]; // A4 in points
const MARGIN = 40;
const CP1252_EXTRA = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ';

/** Text that Helvetica (WinAnsi) can show: accents folded when possible, anything else as "?". */
export function winAnsi(s: string): string {
  let out = '';
  for (const ch of s.replace(/[\r\n\t]+/g, ' ')) {
    const c = ch.codePointAt(0)!;
    if ((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || CP1252_EXTRA.includes(ch)) {
      out += ch;
      continue;
    }
    const folded = ch.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
    out += /^[\x20-\x7e]+$/.test(folded) ? folded : '?';
  }
  return out;
}

/** DICOM DA (YYYYMMDD) as YYYY-MM-DD; anything else unchanged. */
function da(v: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(v.trim());
  return m ? `${m[1]}-${m[2]}-${m[3]}` : v.trim();
}

/** DICOM PN "Family^Given^Middle" as "Family, Given Middle". */
function pn(v: string): string {
  const [family = '', given = '', middle = ''] = v.split('=')[0]!.split('^');
  return [family, [given, middle].filter(Boolean).join(' ')].filter(Boolean).join(', ');
}

class Writer {
  page!: PDFPage;
  y = 0;
  pages: PDFPage[] = [];
  constructor(
    readonly pdf: PDFDocument,
    readonly font: PDFFont,
    readonly bold: PDFFont,
  ) {
    this.newPage();
  }
  newPage(): void {
    this.page = this.pdf.addPage(PAGE);
    this.pages.push(this.page);
    this.y = PAGE[1] - MARGIN;
  }
  ensure(h: number): void {
    if (this.y - h < MARGIN + 30) this.newPage();
  }
  text(
    s: string,
    opts: { size?: number; bold?: boolean; x?: number; colour?: [number, number, number] } = {},
  ): void {
    const size = opts.size ?? 9;
    this.ensure(size + 4);
    this.page.drawText(winAnsi(s), {
      x: opts.x ?? MARGIN,
      y: this.y - size,
      size,
      font: opts.bold ? this.bold : this.font,
      color: rgb(...(opts.colour ?? [0, 0, 0])),
    });
    this.y -= size + 4;
  }
  /** Text wrapped to the page width. */
  para(s: string, opts: { size?: number; bold?: boolean; x?: number } = {}): void {
    const size = opts.size ?? 9;
    const x = opts.x ?? MARGIN;
    const width = PAGE[0] - x - MARGIN;
    const f = opts.bold ? this.bold : this.font;
    let line = '';
    for (const word of winAnsi(s).split(' ')) {
      const next = line ? `${line} ${word}` : word;
      if (f.widthOfTextAtSize(next, size) > width && line) {
        this.text(line, { ...opts, size });
        line = word;
      } else line = next;
    }
    if (line) this.text(line, { ...opts, size });
  }
  gap(h: number): void {
    this.y -= h;
  }
  rule(): void {
    this.ensure(6);
    this.page.drawLine({
      start: { x: MARGIN, y: this.y - 2 },
      end: { x: PAGE[0] - MARGIN, y: this.y - 2 },
      thickness: 0.5,
      color: rgb(0.6, 0.6, 0.6),
    });
    this.y -= 8;
  }
}

const STATUS_LABEL: Record<string, string> = {
  pending: 'PENDING',
  accepted: 'accepted',
  rejected: 'rejected',
  edited: 'edited',
  manual: 'added by reader',
};

export async function buildPdfReport(input: ReportInput, content: ReportContent): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const doc = input.document;
  const md = input.metadata;
  const software = input.software ?? DEFAULT_SOFTWARE;
  // Readers find a slice by its Instance Number on the PACS, not by our volume index.
  const numbers = instanceNumbersBySlot(input.frames, input.volume.dims[2]);
  const imageLabel = (k: number) => imageNumberLabel(numbers[k], k);
  pdf.setTitle(winAnsi(`PulmoLens report ${md.patientId} ${da(md.studyDate)}`));
  pdf.setSubject(DISCLAIMER);
  pdf.setProducer('PulmoLens (pdf-lib)');
  pdf.setCreationDate(content.createdAt);
  pdf.setModificationDate(content.createdAt);
  const w = new Writer(
    pdf,
    await pdf.embedFont(StandardFonts.Helvetica),
    await pdf.embedFont(StandardFonts.HelveticaBold),
  );

  w.text('PulmoLens chest CT nodule report', { size: 16, bold: true });
  w.text(DISCLAIMER.toUpperCase(), { size: 11, bold: true, colour: [0.75, 0, 0] });
  w.gap(4);
  w.rule();

  const field = (label: string, value: string, x: number) => {
    w.page.drawText(winAnsi(label), { x, y: w.y - 9, size: 8, font: w.bold });
    w.page.drawText(winAnsi(value || '-'), { x: x + 78, y: w.y - 9, size: 8, font: w.font });
  };
  const rows: Array<[string, string, string, string]> = [
    ['Patient', pn(md.patientName), 'Study date', `${da(md.studyDate)} ${md.studyTime}`.trim()],
    ['Patient ID', md.patientId, 'Accession', md.accessionNumber],
    ['Birth date', da(md.patientBirthDate), 'Study', md.studyDescription],
    [
      'Sex / age',
      [md.patientSex, md.patientAge].filter(Boolean).join(' / '),
      'Series',
      `${md.seriesNumber ?? ''} ${md.seriesDescription}`.trim(),
    ],
    [
      'Scanner',
      `${md.manufacturer} ${md.manufacturerModelName}`.trim(),
      'Kernel / slice',
      `${md.convolutionKernel} / ${md.sliceThicknessMm ?? '-'} mm`,
    ],
    ['Institution', md.institutionName, 'Series UID', md.seriesInstanceUid],
  ];
  for (const [a, av, b, bv] of rows) {
    w.ensure(12);
    field(a, av, MARGIN);
    field(b, bv.length > 48 ? `${bv.slice(0, 45)}...` : bv, MARGIN + 265);
    w.y -= 12;
  }
  w.rule();

  w.text(`Exam Lung-RADS (v2022): ${content.examLungRads}${content.isReviewed ? '' : '  (provisional)'}`, {
    size: 12,
    bold: true,
  });
  const reviewerLine = content.isReviewed
    ? `Reviewed by ${content.reviewers.join(', ') || 'unknown'}; report date ${content.createdAt.toISOString().slice(0, 10)}`
    : `NOT FULLY REVIEWED: model output awaiting a reader's decision (${content.reviewers.length ? `partial review by ${content.reviewers.join(', ')}` : 'no decisions yet'}); report date ${content.createdAt.toISOString().slice(0, 10)}`;
  w.para(reviewerLine, { bold: !content.isReviewed });
  w.text(`Model: ${doc.model.name} ${doc.model.version} (execution provider ${doc.executionProvider})`);
  w.text(`Model sha256: ${doc.model.sha256}`, { size: 8 });
  // The finding probabilities are the characterizer's: the report names it too (older documents lack it).
  if (doc.characterizer) {
    w.text(
      `Characterizer: ${doc.characterizer.name} ${doc.characterizer.version}, sha256 ${doc.characterizer.sha256}`,
      {
        size: 8,
      },
    );
  }
  // A fused probability is the characterizer's score moved by a second U-Net's heatmap: named too.
  if (doc.fusionDetector) {
    w.text(
      `Score fused with: ${doc.fusionDetector.name} ${doc.fusionDetector.version}, sha256 ${doc.fusionDetector.sha256}`,
      { size: 8 },
    );
  }
  if (doc.clinical)
    w.para(`Risk inputs (Brock, Fleischner): ${clinicalInputsText(doc.clinical)}`, { size: 8 });
  // The PDF's standard fonts have no minus sign or >=: plain ASCII for those two.
  if (doc.emphysema) {
    w.text(emphysemaIndexText(doc.emphysema).replace('\u2212', '-').replace('\u2265', '>='), { size: 8 });
  }
  if (doc.imageNoise) w.text(imageNoiseText(doc.imageNoise), { size: 8 });
  // What limits this analysis (thick slices, a series noisier than validated, assumed patient
  // facts...): whoever reads the PDF must be told what the panel told the reader on screen.
  if (doc.warnings?.length) {
    w.text('Analysis warnings', { size: 8, bold: true });
    for (const warning of doc.warnings) w.para(`- ${warning}`, { size: 8 });
  }
  w.gap(4);
  w.rule();

  // Findings table.
  const cols: Array<[string, number]> = [
    ['ID', 0],
    ['Status', 40],
    ['Image', 110],
    ['Long x short mm', 145],
    ['Mean mm', 225],
    ['Volume mm3', 270],
    ['Type', 330],
    ['Risk %', 390],
    ['Lung-RADS', 430],
    ['Prob.', 480],
  ];
  // Only what the reader kept (and, in a draft, what awaits a decision); rejected CAD marks are not
  // findings of this exam, so they get one line, never rows with categories and advice.
  const rejected = content.reviewed.length - content.shown.length;
  w.text(`Findings (${content.shown.length} reported)`, { size: 11, bold: true });
  if (rejected > 0) {
    w.text(`${rejected} CAD mark${rejected === 1 ? '' : 's'} rejected by the reader`, { size: 8 });
  }
  w.ensure(12);
  for (const [h, x] of cols) w.page.drawText(h, { x: MARGIN + x, y: w.y - 8, size: 8, font: w.bold });
  w.y -= 12;
  const list = content.shown;
  if (list.length === 0) {
    w.text(rejected > 0 ? 'No finding kept by the reader.' : 'No finding above the operating threshold.');
  }
  for (const r of list) {
    const f = r.finding;
    const cells = [
      f.id,
      STATUS_LABEL[r.status] ?? r.status,
      imageLabel(Math.round(f.centerVoxel[2])),
      `${f.longAxisMm.toFixed(1)} x ${f.shortAxisMm.toFixed(1)}`,
      f.diameterMm.toFixed(1),
      f.volumeMm3.toFixed(0),
      f.type,
      (f.malignancyRisk * 100).toFixed(1),
      f.lungRads,
      r.source === 'model' ? f.probability.toFixed(2) : '-',
    ];
    w.ensure(22);
    cols.forEach(([, x], n) =>
      w.page.drawText(winAnsi(cells[n]!), { x: MARGIN + x, y: w.y - 8, size: 8, font: w.font }),
    );
    w.y -= 11;
    w.para(f.fleischner, { size: 7, x: MARGIN + 40 });
  }
  if (content.review.notes.length > 0) {
    w.gap(4);
    w.text('Notes', { size: 11, bold: true });
    for (const n of content.review.notes) {
      w.para(`${n.findingId ? `[${n.findingId}] ` : ''}${n.text} (${n.reviewer}, ${n.at})`);
    }
  }

  // Key images: one block per reported finding, plain and with heatmap side by side.
  const imgSize = 240;
  if (content.shown.length > 0) {
    w.gap(6);
    w.rule();
    w.text('Key images', { size: 11, bold: true });
  }
  for (const r of content.shown) {
    const f = r.finding;
    const imgs = renderKeyImages(input.volume, input.heatmap, f, { sizePx: 256 });
    const plain = await pdf.embedPng(encodePng(imgs.plain));
    const overlay = await pdf.embedPng(encodePng(imgs.overlay));
    w.ensure(imgSize + 48);
    w.text(
      `${f.id} (${STATUS_LABEL[r.status] ?? r.status}): image ${imageLabel(imgs.sliceIndex)} (z ${f.centerLps[2].toFixed(1)} mm), ${f.diameterMm.toFixed(1)} mm ${f.type}, Lung-RADS ${f.lungRads}, risk ${(f.malignancyRisk * 100).toFixed(1)}%`,
      { bold: true },
    );
    // What the category and risk rest on besides size and type: the solid part of a part-solid
    // nodule, and the margin (4X, Brock), which the model does not assess.
    w.text(
      [
        ...(f.solidComponentMm !== undefined ? [`solid component ${f.solidComponentMm.toFixed(1)} mm`] : []),
        f.spiculated === null
          ? 'margin not assessed (no reader call; Lung-RADS and risk count it as not spiculated)'
          : `${marginLabel(f.spiculated)} (${readerMargin(r) ? 'reader' : 'model'})`,
      ].join('; '),
      { size: 8 },
    );
    const top = w.y;
    w.page.drawImage(plain, { x: MARGIN, y: top - imgSize, width: imgSize, height: imgSize });
    w.page.drawImage(overlay, {
      x: MARGIN + imgSize + 15,
      y: top - imgSize,
      width: imgSize,
      height: imgSize,
    });
    w.y = top - imgSize - 2;
    w.page.drawText('Lung window (L -600 / W 1500)', { x: MARGIN, y: w.y - 8, size: 7, font: w.font });
    w.page.drawText(keyImageHeatmapCaption(doc), {
      x: MARGIN + imgSize + 15,
      y: w.y - 8,
      size: 7,
      font: w.font,
    });
    w.y -= 16;
  }

  const total = w.pages.length;
  w.pages.forEach((p, i) => {
    // A draft must never pass for a signed report, whichever page is printed or shown.
    if (!content.isReviewed) {
      const { width, height } = p.getSize();
      p.drawText('DRAFT', {
        x: width / 2 - 150,
        y: height / 2 - 120,
        size: 110,
        font: w.bold,
        color: rgb(0.85, 0.2, 0.2),
        opacity: 0.18,
        rotate: degrees(35),
      });
      p.drawText(`DRAFT - not reviewed - page ${i + 1} of ${total}`, {
        x: width - MARGIN - 170,
        y: height - MARGIN / 2,
        size: 8,
        font: w.bold,
        color: rgb(0.75, 0, 0),
      });
    }
    p.drawText(winAnsi(`${DISCLAIMER} ${software.name} ${software.version} - page ${i + 1} of ${total}`), {
      x: MARGIN,
      y: MARGIN / 2,
      size: 7,
      font: w.font,
      color: rgb(0.4, 0.4, 0.4),
    });
  });
  return pdf.save({ useObjectStreams: false });
}

/** The key images' overlay caption: which U-Net's heatmap it is (the fusion detector's since session 45). */
export function keyImageHeatmapCaption(
  doc: Pick<FindingsDocument, 'model' | 'fusionDetector' | 'heatmapFrom'>,
): string {
  const m = heatmapModel(doc);
  return `With ${m.name} ${m.version} heatmap (probability)`;
}
