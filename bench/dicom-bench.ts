import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import { defaultDecodeWorkers } from '../src/core/dicom/decode-pool';
import { lidcStudy, missingData, repoRoot } from '../tests/support/shared-data';
import { median, type BenchResult } from './bench-util';

const RUNS = 5;

/** Import LIDC-IDRI-0002 (261 slices) to an HU volume, next to dcmjs and pydicom in the same run. */
export async function benchDicom(): Promise<BenchResult> {
  const skip = missingData('ct/LIDC-IDRI-0002.tar.xz');
  if (skip) return { title: 'DICOM import', rows: [], note: `skipped: ${skip}` };
  const { seriesDir } = lidcStudy('0002');
  const files = readdirSync(seriesDir).map((f) => join(seriesDir, f));
  const mb = files.reduce((s, f) => s + statSync(f).size, 0) / 1e6;

  // Decode workers (the default) and everything on one thread, alternating so both see the same
  // load; the first round warms the JIT, the codecs and the worker pool.
  const ours: number[] = [];
  const oneThread: number[] = [];
  let slices = 0;
  for (let i = 0; i < RUNS + 1; i++) {
    for (const workers of [undefined, 0]) {
      const t = performance.now();
      const scan = await scanDicomInputs([seriesDir]);
      const l = await loadSeries(scan.series[0]!, workers === undefined ? {} : { workers });
      if (i > 0) (workers === undefined ? ours : oneThread).push((performance.now() - t) / 1000);
      slices = l.volume.dims[2];
    }
  }

  const dcm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    for (const f of files) {
      const buf = readFileSync(f);
      const dict = dcmjs.data.DicomMessage.readFile(
        buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length),
      );
      dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
    }
    dcm.push((performance.now() - t) / 1000);
  }

  let py: number | null = null;
  try {
    const out = execFileSync(
      '/usr/bin/python3',
      [join(repoRoot, 'bench/pydicom_import.py'), seriesDir, String(RUNS)],
      {
        encoding: 'utf8',
      },
    );
    py = median(JSON.parse(out).seconds as number[]);
  } catch {
    py = null;
  }
  const o = median(ours);
  const row = (name: string, s: number | null, what: string) => ({
    reader: name,
    work: what,
    'median s': s === null ? 'n/a' : s.toFixed(3),
    'slices/s': s === null ? 'n/a' : (slices / s).toFixed(0),
    'MB/s': s === null ? 'n/a' : (mb / s).toFixed(0),
    'vs PulmoLens': s === null ? 'n/a' : `${(s / o).toFixed(2)}×`,
  });
  return {
    title: `DICOM import: LIDC-IDRI-0002, ${slices} slices, ${mb.toFixed(0)} MB (median of ${RUNS})`,
    rows: [
      row(
        `PulmoLens (dicom-parser + LUT, ${defaultDecodeWorkers()} decode workers)`,
        o,
        'scan, sort, decode to Int16 HU volume',
      ),
      row('PulmoLens, one thread', median(oneThread), 'the same, no decode workers'),
      row('dcmjs 0.52', median(dcm), 'parse + naturalize only (no volume)'),
      row('pydicom + numpy', py, 'read, sort, rescale to int16 volume'),
    ],
    note:
      `target: >= 2.5× faster than pydicom in the same run; measured ${o.toFixed(3)} s, ` +
      `${py ? (py / o).toFixed(2) : 'n/a'}× pydicom (one thread: ${py ? (py / median(oneThread)).toFixed(2) : 'n/a'}×); ` +
      `load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' / ')}`,
  };
}
