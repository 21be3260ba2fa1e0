/**
 * End-to-end `analyze` of LIDC-IDRI-0002 on the CPU (time per stage, peak memory), and the
 * detector's ONNX Runtime inference against the same network in PyTorch on the CPU, on the same
 * patch, in the same run. Uses the shipped models/ when present, else the generated test models.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSeries, scanDicomInputs } from '../src/core/dicom';
import {
  analyzeSeries,
  getRuntime,
  inferenceConfig,
  releaseRuntimes,
  shutdownInference,
} from '../src/core/inference';
import { gridFor, huScaler, resampleSlab } from '../src/core/inference/grid';
import { lidcStudy, missingData, repoRoot } from '../tests/support/shared-data';
import { ensureTestModels } from '../tests/support/test-models';
import { syntheticChest } from '../tests/support/synthetic-chest';
import type { FindingsDocument } from '../src/common/findings/findings-document';
import { median } from './bench-util';

type Row = Record<string, string | number>;

const PY = '/usr/bin/python3';

/** PyTorch side: builds the detector, loads its weights, times forward() on the same patch. */
const TORCH_SCRIPT = String.raw`
import json, os, sys, time, importlib.util
import numpy as np, torch
kind, weights, src, inp, out, z, y, x, reps = sys.argv[1:10]
z, y, x, reps = int(z), int(y), int(x), int(reps)
spec = importlib.util.spec_from_file_location('netmod', src)
mod = importlib.util.module_from_spec(spec)
sys.path.insert(0, os.path.dirname(src))
spec.loader.exec_module(mod)
torch.set_num_threads(os.cpu_count() or 1)
net = (mod.Detector() if kind == 'trained' else mod.BlobDetector()).eval()
net.load_state_dict(torch.load(weights, map_location='cpu'))
t = torch.from_numpy(np.fromfile(inp, dtype=np.float32).reshape(1, 1, z, y, x))
times = []
with torch.no_grad():
    net(t)
    for _ in range(reps):
        s = time.perf_counter(); o = net(t); times.append((time.perf_counter() - s) * 1000)
o.numpy().astype(np.float32).tofile(out)
print(json.dumps({'ms': sorted(times)[len(times) // 2], 'threads': torch.get_num_threads(), 'torch': torch.__version__}))
`;

function shippedModels(): string | null {
  const dir = join(repoRoot, 'models');
  return existsSync(join(dir, 'manifest.json')) ? dir : null;
}

export async function benchAnalyze(): Promise<{ title: string; rows: Row[]; note?: string }> {
  const rows: Row[] = [];
  const skip = missingData('ct/LIDC-IDRI-0002.tar.xz');
  if (skip) return { title: 'analyze (skipped)', rows: [{ item: 'skipped', value: skip, unit: '' }] };
  let modelsDir = shippedModels();
  let which = 'shipped models/';
  if (!modelsDir) {
    const t = ensureTestModels();
    if ('skip' in t)
      return { title: 'analyze (skipped)', rows: [{ item: 'skipped', value: t.skip, unit: '' }] };
    modelsDir = t.dir;
    which = 'generated test models (.cache/test-models): the trained models have not landed';
  }

  const study = lidcStudy('0002');
  const main = runChild(['lidc', study.seriesDir, modelsDir]);
  const doc = main.document;
  const [nx, ny, nz] = main.dims;
  rows.push({ item: 'scan DICOM', value: Math.round(main.scanMs), unit: 'ms' });
  rows.push({ item: 'decode to HU volume', value: Math.round(main.decodeMs), unit: 'ms' });
  for (const [k, v] of Object.entries(doc.timingsMs)) {
    if (k !== 'total') rows.push({ item: `analyze: ${k}`, value: Math.round(v), unit: 'ms' });
  }
  rows.push({ item: 'analyze total (worker)', value: Math.round(doc.timingsMs.total ?? 0), unit: 'ms' });
  rows.push({ item: 'end to end (scan + decode + analyze)', value: Math.round(main.endToEndMs), unit: 'ms' });
  rows.push({
    item: 'peak RSS of the analyze process (main + worker)',
    value: mib(main.maxRssBytes),
    unit: 'MiB',
  });
  rows.push({ item: 'CT volume (Int16)', value: mib(nx * ny * nz * 2), unit: 'MiB' });
  rows.push({ item: 'candidates reported', value: doc.findings.length, unit: '' });
  rows.push({ item: 'execution provider', value: doc.executionProvider, unit: '' });
  const big = runChild(['synthetic500', '', modelsDir]);
  rows.push({
    item: `500-slice synthetic chest ${big.dims.join('x')}: analyze total`,
    value: Math.round(big.document.timingsMs.total ?? 0),
    unit: 'ms',
  });
  rows.push({
    item: '500-slice synthetic chest: peak RSS (main + worker)',
    value: mib(big.maxRssBytes),
    unit: 'MiB',
  });
  rows.push({
    item: '500-slice synthetic chest: CT volume (Int16)',
    value: mib(big.dims.reduce((a, b) => a * b) * 2),
    unit: 'MiB',
  });
  const loaded = { volume: await loadVolume(study.seriesDir) };

  // Detector: ONNX Runtime vs PyTorch on one patch cut from the middle of this scan.
  const rt = await getRuntime(modelsDir, 'cpu');
  const det = rt.manifest.detector;
  const [pz, py, px] = det.patchSize;
  const grid = gridFor(loaded.volume, det.spacingMm);
  const z0 = Math.max(0, Math.floor(grid.dims[2] / 2 - pz / 2));
  const slab = resampleSlab(
    loaded.volume.hu,
    loaded.volume.dims,
    grid,
    z0,
    z0 + pz,
    new Float32Array(grid.dims[0] * grid.dims[1] * pz),
    huScaler(det.huWindow),
  );
  const patch = new Float32Array(pz * py * px);
  const y0 = Math.max(0, Math.floor(grid.dims[1] / 2 - py / 2));
  const x0 = Math.max(0, Math.floor(grid.dims[0] / 4 - px / 2));
  for (let z = 0; z < pz; z++)
    for (let y = 0; y < py; y++) {
      const src = z * grid.dims[0] * grid.dims[1] + (y0 + y) * grid.dims[0] + x0;
      patch.set(slab.subarray(src, src + px), z * py * px + y * px);
    }
  const reps = 5;
  await rt.detector.detect(patch, [pz, py, px]);
  const ortTimes: number[] = [];
  let ortOut: Float32Array = new Float32Array(0);
  for (let r = 0; r < reps; r++) {
    const s = performance.now();
    ortOut = await rt.detector.detect(patch, [pz, py, px]);
    ortTimes.push(performance.now() - s);
  }
  rows.push({
    item: `detector ONNX Runtime, one ${pz}x${py}x${px} patch (median of ${reps})`,
    value: Math.round(median(ortTimes)),
    unit: 'ms',
  });

  const trainedPt = join(repoRoot, 'training', 'runs', 'detector.pt');
  const testPt = join(modelsDir, 'detector.pt');
  const torchNet =
    which.startsWith('shipped') && existsSync(trainedPt)
      ? { kind: 'trained', weights: trainedPt, src: join(repoRoot, 'training', 'models.py') }
      : !which.startsWith('shipped') && existsSync(testPt)
        ? { kind: 'test', weights: testPt, src: join(repoRoot, 'tests', 'support', 'make-test-models.py') }
        : null;
  let note = `Models: ${which}. LIDC-IDRI-0002: ${nx}x${ny}x${nz} voxels.`;
  if (!torchNet || !existsSync(PY)) {
    rows.push({ item: 'detector PyTorch', value: 'n/a', unit: '' });
    note +=
      ' PyTorch comparison skipped: no PyTorch weights for this detector (training/runs/detector.pt) or no /usr/bin/python3.';
  } else {
    const tmp = mkdtempSync(join(tmpdir(), 'pulmolens-bench-'));
    try {
      writeFileSync(join(tmp, 'in.f32'), patch);
      const res = JSON.parse(
        execFileSync(
          PY,
          [
            '-c',
            TORCH_SCRIPT,
            torchNet.kind,
            torchNet.weights,
            torchNet.src,
            join(tmp, 'in.f32'),
            join(tmp, 'out.f32'),
            String(pz),
            String(py),
            String(px),
            String(reps),
          ],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
        )
          .trim()
          .split('\n')
          .at(-1)!,
      ) as { ms: number; threads: number; torch: string };
      const buf = readFileSync(join(tmp, 'out.f32'));
      const torchOut = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      let maxDiff = 0;
      for (let i = 0; i < torchOut.length; i++)
        maxDiff = Math.max(maxDiff, Math.abs(torchOut[i]! - ortOut[i]!));
      rows.push({
        item: `detector PyTorch ${res.torch} (${res.threads} threads), same patch`,
        value: Math.round(res.ms),
        unit: 'ms',
      });
      rows.push({
        item: 'ONNX vs PyTorch speed-up',
        value: Number((res.ms / median(ortTimes)).toFixed(2)),
        unit: 'x',
      });
      rows.push({
        item: 'ONNX vs PyTorch max abs difference of probabilities',
        value: Number(maxDiff.toExponential(2)),
        unit: '',
      });
      if (torchNet.kind === 'trained') {
        note +=
          ' PyTorch weights: training/runs/detector.pt (the checkpoint the shipped ONNX was exported from, if unchanged).';
      }
    } catch (e) {
      rows.push({
        item: 'detector PyTorch',
        value: `failed: ${(e as Error).message.split('\n')[0]}`,
        unit: '',
      });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  await releaseRuntimes();
  return { title: 'analyze: LIDC-IDRI-0002 end to end on CPU', rows, note };
}

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

interface ChildReport {
  document: FindingsDocument;
  dims: [number, number, number];
  scanMs: number;
  decodeMs: number;
  endToEndMs: number;
  maxRssBytes: number;
}

/** Each measured run gets its own process, so its peak RSS is its own (main thread + worker). */
function runChild(args: string[]): ChildReport {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', ...args],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 2 ** 20,
    },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as ChildReport;
}

async function loadVolume(seriesDir: string) {
  const scan = await scanDicomInputs([seriesDir]);
  const series = scan.series.sort((a, b) => b.slices - a.slices)[0]!;
  return (await loadSeries(series)).volume;
}

async function child(kind: string, seriesDir: string, modelsDir: string): Promise<void> {
  const t0 = performance.now();
  let scanMs = 0;
  let decodeMs = 0;
  let loaded;
  if (kind === 'lidc') {
    const scan = await scanDicomInputs([seriesDir]);
    const series = scan.series.sort((a, b) => b.slices - a.slices)[0]!;
    const t1 = performance.now();
    loaded = await loadSeries(series);
    scanMs = t1 - t0;
    decodeMs = performance.now() - t1;
  } else {
    // 500 slices of 512 x 512 at 0.7 x 0.7 x 0.625 mm: the size a thin-slice chest CT reaches.
    const volume = syntheticChest({
      dims: [512, 512, 500],
      spacingMm: [0.7, 0.7, 0.625],
      nodules: [{ centre: [360, 250, 250], diameterMm: 9, hu: 20 }],
    });
    const metadata = {
      seriesInstanceUid: '2.25.500',
      patientAge: '',
      patientSex: '',
      patientBirthDate: '',
      studyDate: '',
    };
    loaded = { volume, series: { metadata } };
  }
  const result = await analyzeSeries(loaded, inferenceConfig({ modelsDir, provider: 'cpu' }));
  const report: ChildReport = {
    document: result.document,
    dims: [...loaded.volume.dims],
    scanMs,
    decodeMs,
    endToEndMs: performance.now() - t0,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  await shutdownInference();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

const argv = process.argv;
if (argv[2] === '--child' && argv[1] && fileURLToPath(import.meta.url) === argv[1]) {
  await child(argv[3]!, argv[4]!, argv[5]!);
}
