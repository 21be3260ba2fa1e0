import { imageNoiseText } from '../../common/findings/image-noise-text';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadSeries, scanDicomInputs, type ScannedSeries, type SkippedFile } from '../../core/dicom';
import { PulmoLensError } from '../../common/errors';
import type { FleischnerRisk } from '../../common/findings/fleischner';
import {
  analyzeSeries,
  heatmapMontage,
  heatmapToNifti,
  isTileEdge,
  TILE_EDGE_RANGE,
  type AnalysisResult,
  type ClinicalInputs,
} from '../../core/inference';
import { cliInferenceConfig } from '../config';
import { stampEnteredFacts } from '../../common/findings/clinical-inputs';
import { auditActor, READER_FLAGS, READER_HELP } from '../reader';
import { REPORT_FILES, writeReportBundle, type ReportBundle } from '../../core/report';
import { OutputWriter } from '../../core/io/safe-writer';
import { openVault, resolveVaultSeries, vaultFileSource } from '../../core/vault';
import { vaultAnalysisStore } from '../../core/findings/analysis-store';
import { currentPassphrase, vaultDir } from './vault-passphrase';
import { progressBar } from '../progress';

export interface AnalyzeCliOptions {
  /** Folder for plaintext results; optional with --vault (results then stay encrypted there). */
  out?: string;
  /** Read the series from this vault and store the analysis there (the app shows it). */
  vault?: string;
  /** Who runs it, for the vault's audit log: NAME or NAME:ID. */
  reader?: string;
  provider?: string;
  threshold?: string;
  overlap?: string;
  tile?: string;
  series?: string;
  models?: string;
  age?: string;
  sex?: string;
  familyHistory?: boolean;
  emphysema?: boolean;
  fleischnerRisk?: string;
  report?: boolean;
  /** Replace files of these names already in --out (else OUTPUT_EXISTS before any work). */
  overwrite?: boolean;
}

export interface AnalyzeOutputs {
  /** Absent when nothing plaintext was asked for (--vault without --out). */
  findingsPath?: string;
  heatmapPath?: string;
  montagePath?: string;
  result: AnalysisResult;
  /**
   * What the reader should know about the series itself: which one was picked when the input held
   * several, and the loader's warnings (missing slices, uneven spacing, files that would not decode).
   */
  seriesNotes: string[];
  report?: ReportBundle;
  /** Where the analysis was stored with --vault. */
  stored?: { studyRef: string; seriesRef: string; key: string };
}

/** Which files were left out and why: the first three by name, then a count. */
function skippedNote(what: string, skipped: readonly SkippedFile[]): string {
  const named = skipped.slice(0, 3).map((f) => `${f.path} (${f.code}: ${f.reason})`);
  const more = skipped.length > 3 ? `; ${skipped.length - 3} more` : '';
  return `${skipped.length} file(s) ${what} left out: ${named.join('; ')}${more}`;
}

function pickSeries(all: ScannedSeries[], uid: string | undefined, folder: string): ScannedSeries {
  const cts = all.filter((s) => s.metadata.modality === 'CT' || s.metadata.modality === '');
  if (uid) {
    const hit = all.find((s) => s.key === uid || s.metadata.seriesInstanceUid === uid);
    if (!hit) throw new PulmoLensError('NOT_FOUND', `no series ${uid} under the input`, { path: folder });
    return hit;
  }
  const pool = cts.length > 0 ? cts : all;
  const best = [...pool].sort((a, b) => b.slices - a.slices)[0];
  if (!best) throw new PulmoLensError('DICOM_NO_IMAGE', 'no CT series found', { path: folder });
  return best;
}

function parseClinical(o: AnalyzeCliOptions): ClinicalInputs {
  const c: ClinicalInputs = {};
  if (o.age !== undefined) {
    const a = Number(o.age);
    if (!(a > 0 && a < 130))
      throw new PulmoLensError('INVALID_INPUT', `--age must be a number of years, got ${o.age}`);
    c.ageYears = a;
  }
  if (o.sex !== undefined) {
    const s = o.sex.trim().toUpperCase();
    if (s !== 'F' && s !== 'M')
      throw new PulmoLensError('INVALID_INPUT', `--sex must be F or M, got ${o.sex}`);
    c.sex = s === 'F' ? 'female' : 'male';
  }
  if (o.familyHistory) c.familyHistory = true;
  if (o.emphysema) c.emphysema = true;
  if (o.fleischnerRisk !== undefined) {
    if (!['low', 'high', 'unknown'].includes(o.fleischnerRisk)) {
      throw new PulmoLensError('INVALID_INPUT', `--fleischner-risk must be low, high or unknown`);
    }
    c.fleischnerRisk = o.fleischnerRisk as FleischnerRisk;
  }
  return c;
}

/** The headless pipeline behind `pulmolens analyze`: DICOM folder in, findings + heatmap files out. */
export async function runAnalyzeCommand(
  input: string,
  o: AnalyzeCliOptions,
  log: (line: string) => void = () => undefined,
): Promise<AnalyzeOutputs> {
  const inference = cliInferenceConfig(o);
  const actor = auditActor(o);
  let threshold: number | undefined;
  if (o.threshold !== undefined) {
    threshold = Number(o.threshold);
    if (!(threshold > 0 && threshold < 1)) {
      throw new PulmoLensError('INVALID_INPUT', `--threshold must be between 0 and 1, got ${o.threshold}`);
    }
  }
  let overlap: number | undefined;
  if (o.overlap !== undefined) {
    overlap = Number(o.overlap);
    if (!(overlap >= 0 && overlap < 1)) {
      throw new PulmoLensError('INVALID_INPUT', `--overlap must be at least 0 and below 1, got ${o.overlap}`);
    }
  }
  let tileEdge: number | undefined;
  if (o.tile !== undefined) {
    tileEdge = Number(o.tile);
    if (!isTileEdge(tileEdge)) {
      throw new PulmoLensError(
        'INVALID_INPUT',
        `--tile must be a whole number of voxels from ${TILE_EDGE_RANGE.join(' to ')}, got ${o.tile}`,
      );
    }
  }
  const clinical = parseClinical(o);
  if (!o.vault && !o.out)
    throw new PulmoLensError('INVALID_INPUT', '--out <dir> is required (or --vault DIR)');
  const out = o.out ? resolve(o.out) : null;
  const findingsPath = out ? join(out, 'findings.json') : null;
  const heatmapPath = out ? join(out, 'heatmap.nii.gz') : null;
  const montagePath = out ? join(out, 'heatmap-montage.png') : null;
  const writer = new OutputWriter({ overwrite: o.overwrite === true });
  // Before minutes of analysis: a file the user did not let us replace stops the run now.
  if (out) {
    await writer.checkFree([
      findingsPath!,
      heatmapPath!,
      montagePath!,
      ...(o.report ? Object.values(REPORT_FILES).map((n) => join(out, n)) : []),
    ]);
  }
  const vault = o.vault
    ? await openVault(vaultDir(o.vault), await currentPassphrase(), { idleLockMs: 0, actor })
    : null;
  try {
    const t0 = performance.now();
    let series: ScannedSeries;
    let key: string;
    const seriesNotes: string[] = [];
    if (vault) {
      const rec = vault.getSeries(resolveVaultSeries(vault, input));
      series = rec.scanned;
      key = rec.key;
    } else {
      const scan = await scanDicomInputs([input], {
        onProgress: (p) => log(progressBar('scanning', p.done, p.total)),
      });
      series = pickSeries(scan.series, o.series, input);
      key = series.key;
      if (scan.skipped.length) seriesNotes.push(skippedNote('under the input', scan.skipped));
      if (scan.series.length > 1 && !o.series) {
        seriesNotes.push(
          `${scan.series.length} series under the input; analysed ${series.metadata.seriesInstanceUid} ` +
            `(${series.metadata.modality || 'no modality'}, ${series.slices} slices), the CT with the most slices: --series picks another`,
        );
      }
    }
    const t1 = performance.now();
    const loaded = await loadSeries(series, {
      ...(vault ? { source: vaultFileSource(vault) } : {}),
      onProgress: (p) => log(progressBar('decoding', p.done, p.total)),
    });
    const t2 = performance.now();
    seriesNotes.push(...loaded.series.warnings);
    if (loaded.skipped.length) seriesNotes.push(skippedNote('that would not decode', loaded.skipped));
    let stage = '';
    const result = await analyzeSeries(loaded, inference, {
      ...(threshold !== undefined ? { threshold } : {}),
      ...(overlap !== undefined ? { overlap } : {}),
      ...(tileEdge !== undefined ? { tileEdge } : {}),
      clinical,
      onProgress: (p) => {
        if (p.stage !== stage || p.done === p.total || p.done % 10 === 0)
          log(progressBar(p.stage, p.done, p.total));
        stage = p.stage;
      },
    });
    const doc = result.document;
    // --age, --sex, ... were given by whoever runs this: the workspace shows them as entered by them.
    if (doc.clinical) doc.clinical = stampEnteredFacts(doc.clinical, actor, new Date().toISOString());
    doc.timingsMs = { scan: Math.round(t1 - t0), decode: Math.round(t2 - t1), ...doc.timingsMs };
    let stored: AnalyzeOutputs['stored'];
    if (vault) {
      // Stored as the app stores it: the reading workspace shows it when the series is opened.
      const { data, ...grid } = result.heatmap;
      await vaultAnalysisStore({ require: () => vault }).saveAnalysis(
        {
          key,
          document: doc,
          analysedAt: new Date().toISOString(),
          heatmap: grid,
          warnings: result.warnings,
        },
        data,
      );
      stored = { ...vault.seriesLocation(key), key };
    }
    if (!out) return { result, seriesNotes, ...(stored ? { stored } : {}) };
    await writer.writeFiles(out, [
      { name: 'findings.json', data: `${JSON.stringify(doc, null, 2)}\n` },
      { name: 'heatmap.nii.gz', data: heatmapToNifti(result.heatmap) },
      { name: 'heatmap-montage.png', data: heatmapMontage(loaded.volume, result.heatmap) },
    ]);
    // An unreviewed draft: the reader's decisions come from the app, never from the CLI.
    const report = o.report
      ? await writeReportBundle(
          out,
          {
            metadata: series.metadata,
            frames: series.frames,
            volume: loaded.volume,
            heatmap: result.heatmap,
            document: doc,
          },
          { writer },
        )
      : undefined;
    return {
      findingsPath: findingsPath!,
      heatmapPath: heatmapPath!,
      montagePath: montagePath!,
      result,
      seriesNotes,
      ...(report ? { report } : {}),
      ...(stored ? { stored } : {}),
    };
  } finally {
    await vault?.lock();
  }
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description(
      'Run nodule detection and characterization on a DICOM folder (research use, not for diagnosis).',
    )
    .argument(
      '<input>',
      'folder (or DICOMDIR) holding the CT series; with --vault a study or series in the vault',
    )
    .option('--out <dir>', 'folder for findings.json, heatmap.nii.gz and heatmap-montage.png')
    .option(
      '--vault <dir>',
      'read the series from this vault and store the analysis there (nothing plaintext unless --out)',
    )
    .option(READER_FLAGS, READER_HELP)
    .option(
      '--provider <name>',
      'execution provider: auto, cuda, tensorrt, dml, coreml, webgpu, cpu (env PULMOLENS_EP)',
    )
    .option(
      '--threshold <p>',
      "lowest U-Net peak probability that makes a stage-1 candidate (default 0.1); findings use the models' operating threshold",
    )
    .option(
      '--overlap <f>',
      "fraction of a U-Net tile's edge its neighbours share (default 0.125 on CPU, 0.5 on GPU)",
    )
    .option(
      '--tile <voxels>',
      'largest U-Net tile edge in 1 mm voxels; tiles are fitted to the lung (default 128)',
    )
    .option('--series <uid>', 'SeriesInstanceUID to analyse when the folder holds several')
    .option('--models <dir>', 'models folder with manifest.json (default: models/, env PULMOLENS_MODELS_DIR)')
    .option('--age <years>', 'patient age for the Brock model (default: from DICOM)')
    .option('--sex <F|M>', 'patient sex for the Brock model (default: from DICOM)')
    .option('--family-history', 'family history of lung cancer (Brock)')
    .option('--emphysema', 'emphysema present (Brock)')
    .option('--fleischner-risk <low|high|unknown>', 'clinical risk for the Fleischner recommendation')
    .option('--overwrite', 'replace files of the same names already in --out')
    .option(
      '--report',
      'also write report.pdf, report-sr.dcm, heatmap-pmap.dcm, findings-review.json, findings.csv',
    )
    .action(async (input: string, o: AnalyzeCliOptions) => {
      const tty = process.stderr.isTTY;
      const log = (line: string) => process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
      const r = await runAnalyzeCommand(input, o, log);
      if (tty) process.stderr.write('\r\x1b[K');
      const d = r.result.document;
      for (const a of r.result.providerAttempts.filter((x) => !x.ok)) {
        process.stderr.write(`provider ${a.provider} unavailable: ${a.reason}\n`);
      }
      for (const n of r.seriesNotes) process.stderr.write(`series: ${n}\n`);
      for (const w of r.result.warnings) process.stderr.write(`warning: ${w}\n`);
      if (d.imageNoise) process.stderr.write(`${imageNoiseText(d.imageNoise)}\n`);
      process.stderr.write(
        `ran on ${d.executionProvider}: ${d.findings.length} finding(s) at or above ${d.operatingThreshold ?? '?'}, ${d.candidates?.length ?? 0} candidate(s) below, in ${Math.round(d.timingsMs.total ?? 0)} ms; ` +
          (r.stored ? `stored in the vault with series ${r.stored.seriesRef}` : '') +
          (r.stored && r.findingsPath ? '; ' : '') +
          (r.findingsPath ? `wrote ${r.findingsPath}, ${r.heatmapPath}, ${r.montagePath}` : '') +
          (r.report ? `, ${Object.values(r.report.paths).join(', ')}` : '') +
          '\n',
      );
      process.stdout.write(`${r.findingsPath ?? r.stored?.seriesRef}\n`);
    });
}
