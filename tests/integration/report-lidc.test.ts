import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_FILES, writeReportBundle, type ReportBundle, type ReportInput } from '../../src/core/report';
import { addManualFinding, addNote, decide, emptyReview } from '../../src/common/review';
import { missingData } from '../support/shared-data';
import { lidcFixture, type LidcFixture } from './report-lidc-fixture';

const by = { reviewer: 'Reader^Rita', at: '2026-11-22T21:00:00.000Z' };

function input(fx: LidcFixture, reviewed: boolean): ReportInput {
  let review = emptyReview(fx.document.seriesInstanceUid);
  if (reviewed) {
    review = decide(review, 'F001', { kind: 'accepted', ...by });
    review = decide(review, 'F002', { kind: 'rejected', reason: 'vessel', ...by });
    review = addManualFinding(review, {
      id: 'M001',
      centerLps: fx.document.findings[1]!.centerLps,
      centerVoxel: fx.document.findings[1]!.centerVoxel,
      measurement: { longAxisMm: 6.5, shortAxisMm: 5.5 },
      type: 'ground-glass',
      spiculated: false,
      upperLobe: false,
      ...by,
    });
    review = addNote(review, { text: 'Müller: "spiculated?" → no', findingId: 'F001', ...by });
  }
  return {
    metadata: fx.loaded.series.metadata,
    frames: fx.loaded.series.frames,
    volume: fx.loaded.volume,
    heatmap: fx.heatmap,
    document: fx.document,
    review,
    createdAt: new Date('2026-11-22T21:30:00Z'),
  };
}

const pageImage = (pdf: string, dir: string, name: string): PNG => {
  execFileSync('pdftoppm', ['-r', '72', '-f', '1', '-l', '1', '-png', pdf, join(dir, name)]);
  const file = readdirSync(dir).find((f) => f.startsWith(`${name}-`) && f.endsWith('.png'))!;
  return PNG.sync.read(readFileSync(join(dir, file)));
};

describe.skipIf(missingData('ct/LIDC-IDRI-0001.tar.xz'))('report bundle on LIDC-IDRI-0001', () => {
  let fx: LidcFixture;
  let work = '';
  let bundle: ReportBundle;

  beforeAll(async () => {
    fx = await lidcFixture();
    work = mkdtempSync(join(tmpdir(), 'pulmolens-report-'));
    bundle = await writeReportBundle(join(work, 'out'), input(fx, true));
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('writes the five files and no temporary file', () => {
    expect(readdirSync(join(work, 'out')).sort()).toEqual(Object.values(REPORT_FILES).sort());
    expect(bundle.content.isReviewed).toBe(true);
    expect(bundle.content.examLungRads).toBe('4B');
  });

  it('the PDF text holds the disclaimer, model sha256, reviewer, exam category and the findings (pdftotext)', () => {
    const text = execFileSync('pdftotext', ['-layout', bundle.paths.pdf!, '-'], { encoding: 'utf8' });
    expect(text.toLowerCase()).toContain('research use, not for diagnosis');
    expect(text).toContain(fx.document.model.sha256);
    expect(text).toContain('pulmolens-detector 0.1.0');
    // The probabilities are the characterizer's: the report names it (pdftotext may wrap the hash).
    expect(text).toContain(
      `Characterizer: pulmolens-characterizer 0.2.0, sha256 ${fx.document.characterizer!.sha256}`,
    );
    expect(text).toContain('Reviewed by Reader^Rita');
    // The key images' heatmap names the U-Net it came from (this document has no fusion U-Net).
    expect(text).toContain('With pulmolens-detector 0.1.0 heatmap (probability)');
    // The analysis' warnings travel into the report (pdftotext wraps the long line).
    expect(text).toContain('Analysis warnings');
    expect(text.replace(/\s+/g, ' ')).toContain(
      'image noise above what the models were validated at (a low-dose or noisy series)',
    );
    expect(text.replace(/\s+/g, ' ')).toContain('validated up to 11.21 HU');
    expect(text.replace(/\s+/g, ' ')).toContain(
      'Image noise: SD 44.5 HU in soft tissue, 16 HU at nodule scale (ABOVE the 11.21 HU the models were validated at)',
    );
    expect(text).toMatch(/Exam Lung-RADS \(v2022\): 4B/);
    expect(text).toContain('LIDC-IDRI-0001');
    expect(text).toMatch(/F001\s+accepted\s+\d+\s+25\.1 x 21\.3\s+23\.2/);
    // A reviewed report lists what the reader kept; rejected CAD marks are one line, not rows.
    expect(text).not.toMatch(/F002\s+rejected/);
    expect(text).toMatch(/1 CAD mark rejected by the reader/);
    expect(text).toMatch(/M001\s+added by reader/);
    // WinAnsi text survives: umlaut kept, arrow replaced.
    expect(text).toContain('Müller: "spiculated?" ? no');
  });

  it('the PDF holds two key images per reported finding, rendered non-blank (pdfimages, pdftoppm)', () => {
    const list = execFileSync('pdfimages', ['-list', bundle.paths.pdf!], { encoding: 'utf8' });
    const images = list.split('\n').filter((l) => /^\s*\d+\s+\d+\s+image\s+256\s+256/.test(l));
    expect(images).toHaveLength(4); // F001 and M001, plain and with heatmap
    const png = pageImage(bundle.paths.pdf!, work, 'reviewed');
    let grey = 0;
    let coloured = 0;
    for (let p = 0; p < png.width * png.height; p++) {
      const [r, g, b] = [png.data[p * 4]!, png.data[p * 4 + 1]!, png.data[p * 4 + 2]!];
      const spread = Math.max(r, g, b) - Math.min(r, g, b);
      if (spread < 12 && r < 200) grey++;
      // Heatmap colours and the yellow marker; the red disclaimer title is excluded.
      if (spread > 80 && !(r > 150 && g < 60 && b < 60)) coloured++;
    }
    // Two 240 pt CT crops in the lung window are mostly grey (text alone is a few thousand pixels);
    // the heatmap and the marker are colour.
    expect(grey).toBeGreaterThan(50_000);
    expect(coloured).toBeGreaterThan(2_000);
    console.log(`page 1 at 72 dpi: ${grey} grey and ${coloured} coloured pixels`);
  });

  it('JSON and CSV hold every finding with its decision', () => {
    const json = JSON.parse(readFileSync(bundle.paths.json!, 'utf8'));
    expect(json.schema).toBe('pulmolens.findings-review/1');
    expect(json.reviewed).toBe(true);
    expect(json.examLungRads).toBe('4B');
    expect(json.findings.map((f: { id: string; status: string }) => `${f.id}:${f.status}`)).toEqual([
      'F001:accepted',
      'F002:rejected',
      'M001:manual',
    ]);
    expect(json.findings[1].decision).toMatchObject({
      kind: 'rejected',
      reason: 'vessel',
      reviewer: 'Reader^Rita',
    });
    expect(json.review.notes[0].text).toContain('Müller');
    const csv = readFileSync(bundle.paths.csv!, 'utf8').trim().split('\r\n');
    expect(csv).toHaveLength(4);
    expect(csv[0]).toMatch(/^id,source,status,reviewer,decided_at,probability,/);
    expect(csv[1]).toMatch(/^F001,model,accepted,Reader\^Rita,2026-11-22T21:00:00.000Z,0.93,/);
    // The Fleischner text contains commas: quoted, so every row has the header's column count.
    const cols = (line: string) => line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.length - 1;
    for (const line of csv) expect(cols(line)).toBe(cols(csv[0]!));
  });

  it('an unreviewed analysis gives a provisional draft that says so', async () => {
    const draft = await writeReportBundle(join(work, 'draft'), input(fx, false));
    expect(draft.content.isReviewed).toBe(false);
    const text = execFileSync('pdftotext', ['-layout', draft.paths.pdf!, '-'], { encoding: 'utf8' });
    expect(text).toContain('NOT FULLY REVIEWED');
    expect(text).toMatch(/Exam Lung-RADS \(v2022\): 4B\s+\(provisional\)/);
    expect(text).toMatch(/F001\s+PENDING/);
    const json = JSON.parse(readFileSync(draft.paths.json!, 'utf8'));
    expect(json.reviewed).toBe(false);
  }, 120_000);

  it('refuses to write into a path that is a file, leaving no temporary files', async () => {
    await expect(writeReportBundle(join(bundle.paths.pdf!, 'x'), input(fx, true))).rejects.toMatchObject({
      code: 'IO_ERROR',
    });
    expect(readdirSync(join(work, 'out')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }, 120_000);
});
