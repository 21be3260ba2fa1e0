// Scores mined cubes (training/mine_candidates.ts output) with a characterizer v2 ONNX file as the
// app runs it (float32 cubes [N,2,32,32,32], output p_nodule), so two pipelines (miner + model) can
// be compared on the same inserted series with training/froc_scored.py.
//   node training/score_onnx.mjs <characterizer.onnx> <tag> <mined prefix>...  -> <prefix>.<tag>.f32
import { readFileSync, writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const [model, tag, ...prefixes] = process.argv.slice(2);
if (!model || !tag || prefixes.length === 0) {
  console.error('usage: node training/score_onnx.mjs <characterizer.onnx> <tag> <mined prefix>...');
  process.exit(2);
}
const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 2 });
const C = 2 * 32 * 32 * 32;
for (const p of prefixes) {
  const b = readFileSync(`${p}.cubes.f32`);
  const all = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  const n = all.length / C;
  const out = new Float32Array(n);
  const B = 64;
  for (let i = 0; i < n; i += B) {
    const m = Math.min(B, n - i);
    const r = await session.run({ cubes: new ort.Tensor('float32', all.slice(i * C, (i + m) * C), [m, 2, 32, 32, 32]) });
    out.set(r.p_nodule.data, i);
  }
  writeFileSync(`${p}.${tag}.f32`, Buffer.from(out.buffer));
  console.log(`${p}: ${n} candidates scored (${tag})`);
}
