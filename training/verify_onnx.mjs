// Runs the exported ONNX models with onnxruntime-node (the runtime the app uses) on the fixed
// reference inputs from export_onnx.py and checks every output against PyTorch within 1e-4.
// Writes training/runs/onnx_check.json (the entries of models exported earlier are kept, each with
// the sha256 of the file it checked, so a reader can tell whether it still describes models/);
// exits 1 on a mismatch.
//
//   node training/verify_onnx.mjs
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';

const here = dirname(fileURLToPath(import.meta.url));
const check = join(here, 'runs', 'onnx-check');
const models = join(here, '..', 'models');
const spec = JSON.parse(readFileSync(join(check, 'spec.json'), 'utf8'));
const TOLERANCE = 1e-4;

const load = (name) => {
  const b = readFileSync(join(check, `${name}.f32`));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const prefix = { detector: 'det', characterizer: 'char', fusionDetector: 'fdet' };

const out = join(here, 'runs', 'onnx_check.json');
const earlier = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')).models : {};
const report = { tolerance: TOLERANCE, models: {} };
let ok = true;
for (const [model, s] of Object.entries(spec)) {
  const session = await ort.InferenceSession.create(join(models, s.file), { executionProviders: ['cpu'] });
  const feeds = {};
  for (const [name, shape] of Object.entries(s.inputs)) {
    feeds[name] = new ort.Tensor('float32', load(`${prefix[model]}_${name}`), shape);
  }
  const t0 = performance.now();
  const out = await session.run(feeds);
  const ms = performance.now() - t0;
  const sha256 = createHash('sha256').update(readFileSync(join(models, s.file))).digest('hex');
  const r = { file: s.file, sha256, inputNames: session.inputNames, outputNames: session.outputNames, runMs: Math.round(ms), outputs: {} };
  for (const [name, shape] of Object.entries(s.outputs)) {
    const want = load(`${prefix[model]}_${name}`);
    const got = out[name];
    if (!got) throw new Error(`${model}: output ${name} missing (has ${session.outputNames.join(', ')})`);
    let maxAbs = 0;
    for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(want[i] - got.data[i]));
    const sameShape = JSON.stringify([...got.dims]) === JSON.stringify(shape);
    r.outputs[name] = { shape: [...got.dims], maxAbsDiff: maxAbs, pass: sameShape && maxAbs <= TOLERANCE };
    ok &&= r.outputs[name].pass;
  }
  report.models[model] = r;
}
for (const [model, r] of Object.entries(earlier)) {
  if (report.models[model]) continue;
  report.models[model] = r;
  ok &&= Object.values(r.outputs).every((o) => o.pass);
}
report.pass = ok;
writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify(report, null, 2));
process.exit(ok ? 0 : 1);
