// Scores mined cubes (channel 0, the 1 mm cube) with the v1 characterizer ONNX, for comparing v2
// with the model it replaces on the same validation candidates.
//   node training/score_v1.mjs <v1.onnx> <prefix>...   -> <prefix>.v1.f32 (p_nodule per candidate)
// An existing <prefix>.v1.f32 is kept (the v1 model and a mined series' cubes never change); each is
// written under a .tmp name and moved in place, so a stopped run leaves nothing that looks finished.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const [model, ...prefixes] = process.argv.slice(2);
const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
const C = 32 * 32 * 32;
for (const p of prefixes) {
  if (existsSync(`${p}.v1.f32`)) continue;
  const b = readFileSync(`${p}.cubes.f32`);
  const all = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  const n = all.length / (2 * C);
  const out = new Float32Array(n);
  const B = 32;
  for (let i = 0; i < n; i += B) {
    const m = Math.min(B, n - i);
    const x = new Float32Array(m * C);
    for (let j = 0; j < m; j++) x.set(all.subarray((i + j) * 2 * C, (i + j) * 2 * C + C), j * C);
    const r = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [m, 1, 32, 32, 32]) });
    out.set(r.p_nodule.data, i);
  }
  writeFileSync(`${p}.v1.f32.tmp`, Buffer.from(out.buffer));
  renameSync(`${p}.v1.f32.tmp`, `${p}.v1.f32`);
  console.log(`${p}: ${n} candidates scored with v1`);
}
