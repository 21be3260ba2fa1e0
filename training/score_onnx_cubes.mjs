// onnxruntime's p_nodule for the first N cubes of a mined series, as the reference for
// training/onnx_members.py --check (the members rebuilt from the graph must reproduce it).
//   node training/score_onnx_cubes.mjs <mined prefix> <out folder> [N=256] [models/characterizer.onnx]
import ort from 'onnxruntime-node';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const [prefix, out, nArg = '256', file = 'models/characterizer.onnx'] = process.argv.slice(2);
if (!prefix || !out) throw new Error('usage: score_onnx_cubes.mjs <mined prefix> <out folder> [N] [onnx file]');
const per = 2 * 32 ** 3;
const buf = readFileSync(`${prefix}.cubes.f32`);
const n = Math.min(Number(nArg), Math.floor(buf.byteLength / 4 / per));
const cubes = new Float32Array(buf.buffer, buf.byteOffset, n * per).slice();
const session = await ort.InferenceSession.create(file);
const r = await session.run({ cubes: new ort.Tensor('float32', cubes, [n, 2, 32, 32, 32]) });
mkdirSync(out, { recursive: true });
writeFileSync(`${out}/cubes.f32`, Buffer.from(cubes.buffer));
writeFileSync(`${out}/p_nodule.f32`, Buffer.from(r.p_nodule.data.buffer));
console.log(`${n} cubes of ${prefix} -> ${out}`);
