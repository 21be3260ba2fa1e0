/**
 * The detector's ONNX graph, re-expressed for onnxruntime's CPU kernels before its session opens.
 *
 * Why: the U-Net's decoder upsamples with ConvTranspose (kernel 2, stride 2), and onnxruntime's
 * CPU ConvTranspose spends 40 of the 92 ms a 64^3 patch takes (session 21, `enableProfiling`),
 * most of the analysis' time. A kernel-2 stride-2 transposed convolution writes each output voxel
 * from exactly one input voxel: out[co, 2z+a, 2y+b, 2x+c] = bias[co] + sum_ci W[ci, co, a, b, c]
 * x[ci, z, y, x]. That is a 1x1x1 Conv to 8 x Cout channels ordered (a, b, c, co) followed by a
 * shuffle of those channels into space, done with DepthToSpace for (b, c) and Transposes that move
 * whole rows for a; the same products and sums, so the same numbers (bit for bit on the shipped
 * detector and real patches, `tests/integration/detector-graph.test.ts`), in 70 ms a patch.
 *
 * The shipped file stays as it is (its hash is what the manifest and every figure name); only the
 * bytes handed to onnxruntime change. The edit works on the protobuf wire format: every field it
 * does not touch is copied byte for byte, so nothing the ONNX schema adds later is lost.
 */
import protobuf from 'protobufjs/minimal.js';

const { Reader, Writer } = protobuf;

/** Wire types. */
const VARINT = 0;
const LEN = 2;
const I32 = 5;

// ModelProto.graph; GraphProto.node / .initializer; NodeProto fields; AttributeProto fields;
// TensorProto fields (onnx.proto).
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const ATTR = { name: 1, f: 2, i: 3, s: 4, ints: 8, type: 20 } as const;
const ATTR_TYPE = { INT: 2, STRING: 3, INTS: 7 } as const;
const TENSOR = {
  dims: 1,
  dataType: 2,
  floatData: 4,
  int64Data: 7,
  name: 8,
  rawData: 9,
  dataLocation: 14,
} as const;
const FLOAT = 1;
const INT64 = 7;

interface Field {
  no: number;
  wire: number;
  /** The whole field as encoded (tag included), for copying. */
  raw: Uint8Array;
  /** Length-delimited payload. */
  payload?: Uint8Array;
  /** Varint value (numbers this module reads are small). */
  varint?: number;
}

function fields(buf: Uint8Array): Field[] {
  const r = Reader.create(buf);
  const out: Field[] = [];
  while (r.pos < r.len) {
    const start = r.pos;
    const tag = r.uint32();
    const no = tag >>> 3;
    const wire = tag & 7;
    const f: Field = { no, wire, raw: buf.subarray(start, start) };
    if (wire === LEN) f.payload = r.bytes();
    else if (wire === VARINT) f.varint = Number(r.int64());
    else r.skipType(wire);
    f.raw = buf.subarray(start, r.pos);
    out.push(f);
  }
  return out;
}

const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : '');

/** Repeated int64 that may be packed (one LEN field) or not (one VARINT per value). */
function int64s(fs: Field[], no: number): number[] {
  const out: number[] = [];
  for (const f of fs) {
    if (f.no !== no) continue;
    if (f.wire === VARINT) out.push(f.varint!);
    else if (f.wire === LEN) {
      const r = Reader.create(f.payload!);
      while (r.pos < r.len) out.push(Number(r.int64()));
    }
  }
  return out;
}

interface Node {
  raw: Uint8Array;
  inputs: string[];
  outputs: string[];
  name: string;
  opType: string;
  domain: string;
  attributes: Map<string, { i?: number; ints?: number[]; other: boolean }>;
}

function parseNode(raw: Uint8Array, payload: Uint8Array): Node {
  const fs = fields(payload);
  const attributes = new Map<string, { i?: number; ints?: number[]; other: boolean }>();
  for (const f of fs.filter((x) => x.no === NODE.attribute)) {
    const a = fields(f.payload!);
    const name = text(a.find((x) => x.no === ATTR.name)?.payload);
    const type = a.find((x) => x.no === ATTR.type)?.varint;
    const i = a.find((x) => x.no === ATTR.i)?.varint;
    attributes.set(name, {
      ...(i !== undefined ? { i } : {}),
      ...(type === ATTR_TYPE.INTS ? { ints: int64s(a, ATTR.ints) } : {}),
      other: type !== ATTR_TYPE.INT && type !== ATTR_TYPE.INTS,
    });
  }
  return {
    raw,
    inputs: fs.filter((f) => f.no === NODE.input).map((f) => text(f.payload)),
    outputs: fs.filter((f) => f.no === NODE.output).map((f) => text(f.payload)),
    name: text(fs.find((f) => f.no === NODE.name)?.payload),
    opType: text(fs.find((f) => f.no === NODE.opType)?.payload),
    domain: text(fs.find((f) => f.no === NODE.domain)?.payload),
    attributes,
  };
}

interface Tensor {
  dims: number[];
  values: Float32Array;
}

/** A FLOAT initializer stored in the file (raw_data or float_data); undefined for anything else. */
function parseFloatTensor(payload: Uint8Array): { name: string; tensor?: Tensor } {
  const fs = fields(payload);
  const name = text(fs.find((f) => f.no === TENSOR.name)?.payload);
  const type = fs.find((f) => f.no === TENSOR.dataType)?.varint;
  if (type !== FLOAT || fs.some((f) => f.no === TENSOR.dataLocation && f.varint === 1)) return { name };
  const dims = int64s(fs, TENSOR.dims);
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = fs.find((f) => f.no === TENSOR.rawData)?.payload;
  let values: Float32Array;
  if (raw) {
    if (raw.length !== count * 4) return { name };
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    values = Float32Array.from({ length: count }, (_, k) => view.getFloat32(4 * k, true));
  } else {
    const packed = fs.filter((f) => f.no === TENSOR.floatData);
    const out: number[] = [];
    for (const f of packed) {
      if (f.wire === LEN) {
        const r = Reader.create(f.payload!);
        while (r.pos < r.len) out.push(r.float());
      } else if (f.wire === I32) {
        const r = Reader.create(f.raw);
        r.uint32();
        out.push(r.float());
      }
    }
    if (out.length !== count) return { name };
    values = Float32Array.from(out);
  }
  return { name, tensor: { dims, values } };
}

// --- encoding -------------------------------------------------------------------------------

function lenField(w: protobuf.Writer, no: number, bytes: Uint8Array): void {
  w.uint32((no << 3) | LEN).bytes(bytes);
}

function strField(w: protobuf.Writer, no: number, s: string): void {
  w.uint32((no << 3) | LEN).string(s);
}

type Attr = { name: string; i: number } | { name: string; ints: number[] } | { name: string; s: string };

function encodeAttr(a: Attr): Uint8Array {
  const w = Writer.create();
  strField(w, ATTR.name, a.name);
  if ('i' in a) {
    w.uint32((ATTR.i << 3) | VARINT).int64(a.i);
    w.uint32((ATTR.type << 3) | VARINT).int32(ATTR_TYPE.INT);
  } else if ('ints' in a) {
    for (const v of a.ints) w.uint32((ATTR.ints << 3) | VARINT).int64(v);
    w.uint32((ATTR.type << 3) | VARINT).int32(ATTR_TYPE.INTS);
  } else {
    lenField(w, ATTR.s, new TextEncoder().encode(a.s));
    w.uint32((ATTR.type << 3) | VARINT).int32(ATTR_TYPE.STRING);
  }
  return w.finish();
}

function encodeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  name: string,
  attrs: Attr[] = [],
): Uint8Array {
  const w = Writer.create();
  for (const s of inputs) strField(w, NODE.input, s);
  for (const s of outputs) strField(w, NODE.output, s);
  strField(w, NODE.name, name);
  strField(w, NODE.opType, opType);
  for (const a of attrs) lenField(w, NODE.attribute, encodeAttr(a));
  return w.finish();
}

function encodeTensor(name: string, dims: number[], data: Float32Array | BigInt64Array): Uint8Array {
  const w = Writer.create();
  for (const d of dims) w.uint32((TENSOR.dims << 3) | VARINT).int64(d);
  w.uint32((TENSOR.dataType << 3) | VARINT).int32(data instanceof Float32Array ? FLOAT : INT64);
  strField(w, TENSOR.name, name);
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  data.forEach((v: number | bigint, k: number) =>
    typeof v === 'bigint' ? view.setBigInt64(8 * k, v, true) : view.setFloat32(4 * k, v, true),
  );
  lenField(w, TENSOR.rawData, bytes);
  return w.finish();
}

const int64 = (...v: number[]) => BigInt64Array.from(v.map(BigInt));

/** Is this the upsampling this module rewrites: kernel 2, stride 2, no padding, dilation or groups? */
function isStride2Upsample(n: Node, w: Tensor | undefined): boolean {
  if (n.opType !== 'ConvTranspose' || n.domain !== '' || !w || w.dims.length !== 5) return false;
  const eq = (name: string, want: number[], dflt: number[] | undefined) => {
    const a = n.attributes.get(name);
    const v = a?.ints ?? dflt;
    return v !== undefined && v.join() === want.join();
  };
  for (const [name, a] of n.attributes) {
    if (a.other) return false;
    if (!['kernel_shape', 'strides', 'pads', 'dilations', 'group'].includes(name)) return false;
  }
  const group = n.attributes.get('group')?.i ?? 1;
  return (
    group === 1 &&
    w.dims.slice(2).join() === '2,2,2' &&
    eq('strides', [2, 2, 2], undefined) &&
    eq('kernel_shape', [2, 2, 2], [2, 2, 2]) &&
    eq('pads', [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]) &&
    eq('dilations', [1, 1, 1], [1, 1, 1])
  );
}

/** The replacement of one ConvTranspose: nodes (in order) and the initializers they need. */
function replacement(
  n: Node,
  k: number,
  w: Tensor,
  b: Tensor | undefined,
): { nodes: Uint8Array[]; inits: Uint8Array[] } {
  const [cin, cout] = w.dims as [number, number];
  // Weights [Cin, Cout, a, b, c] -> [(a, b, c, co), Cin, 1, 1, 1]; bias tiled over the 8 positions.
  const w1 = new Float32Array(8 * cout * cin);
  for (let ci = 0; ci < cin; ci++)
    for (let co = 0; co < cout; co++)
      for (let p = 0; p < 8; p++) w1[(p * cout + co) * cin + ci] = w.values[(ci * cout + co) * 8 + p]!;
  const b1 = new Float32Array(8 * cout);
  if (b) for (let p = 0; p < 8; p++) b1.set(b.values, p * cout);
  const x = n.inputs[0]!;
  const y = n.outputs[0]!;
  const p = `pulmolens_up${k}_`;
  const t = (s: string) => p + s;
  const nodes = [
    encodeNode('Conv', [x, t('w'), t('b')], [t('conv')], t('conv'), [
      { name: 'kernel_shape', ints: [1, 1, 1] },
    ]),
    // [Z, Y, X] of the input, for the reshapes (any patch size).
    encodeNode('Shape', [x], [t('shape')], t('shape')),
    encodeNode('Slice', [t('shape'), t('c2'), t('c5')], [t('zyx')], t('zyx')),
    encodeNode('Slice', [t('shape'), t('c3'), t('c5')], [t('yx')], t('yx')),
    encodeNode('Slice', [t('shape'), t('c2'), t('c3')], [t('z')], t('z')),
    encodeNode('Mul', [t('yx'), t('two')], [t('yx2')], t('yx2')),
    encodeNode('Mul', [t('zyx'), t('two')], [t('zyx2')], t('zyx2')),
    encodeNode('Concat', [t('head1'), t('zyx')], [t('s1')], t('s1'), [{ name: 'axis', i: 0 }]),
    encodeNode('Concat', [t('head2'), t('yx')], [t('s2')], t('s2'), [{ name: 'axis', i: 0 }]),
    encodeNode('Concat', [t('head3'), t('z'), t('cout'), t('yx2')], [t('s3')], t('s3'), [
      { name: 'axis', i: 0 },
    ]),
    encodeNode('Concat', [t('head4'), t('zyx2')], [t('s4')], t('s4'), [{ name: 'axis', i: 0 }]),
    // [N, a, (b c co), Z, Y, X] -> [N, a, Z, (b c co), Y, X]: moves whole Y x X planes.
    encodeNode('Reshape', [t('conv'), t('s1')], [t('r1')], t('r1')),
    encodeNode('Transpose', [t('r1')], [t('t1')], t('t1'), [{ name: 'perm', ints: [0, 1, 3, 2, 4, 5] }]),
    // (N a Z) images of (b c co) channels: DepthToSpace (DCR) interleaves b into Y and c into X.
    encodeNode('Reshape', [t('t1'), t('s2')], [t('r2')], t('r2')),
    encodeNode('DepthToSpace', [t('r2')], [t('d2s')], t('d2s'), [
      { name: 'blocksize', i: 2 },
      { name: 'mode', s: 'DCR' },
    ]),
    // [N, a, Z, co, 2Y, 2X] -> [N, co, Z, a, 2Y, 2X] -> [N, co, 2Z, 2Y, 2X].
    encodeNode('Reshape', [t('d2s'), t('s3')], [t('r3')], t('r3')),
    encodeNode('Transpose', [t('r3')], [t('t2')], t('t2'), [{ name: 'perm', ints: [0, 3, 2, 1, 4, 5] }]),
    encodeNode('Reshape', [t('t2'), t('s4')], [y], t('out')),
  ];
  const inits = [
    encodeTensor(t('w'), [8 * cout, cin, 1, 1, 1], w1),
    encodeTensor(t('b'), [8 * cout], b1),
    encodeTensor(t('c2'), [1], int64(2)),
    encodeTensor(t('c3'), [1], int64(3)),
    encodeTensor(t('c5'), [1], int64(5)),
    encodeTensor(t('two'), [1], int64(2)),
    encodeTensor(t('cout'), [1], int64(cout)),
    encodeTensor(t('head1'), [3], int64(-1, 2, 4 * cout)),
    encodeTensor(t('head2'), [2], int64(-1, 4 * cout)),
    encodeTensor(t('head3'), [2], int64(-1, 2)),
    encodeTensor(t('head4'), [2], int64(-1, cout)),
  ];
  return { nodes, inits };
}

export interface DetectorGraph {
  bytes: Uint8Array;
  /** ConvTranspose nodes replaced (0: the model is handed over unchanged). */
  rewritten: number;
}

/** A whole length-delimited field (tag, length, payload). */
function lenFieldBytes(no: number, payload: Uint8Array): Uint8Array {
  const w = Writer.create();
  lenField(w, no, payload);
  return w.finish();
}

/**
 * The model with every kernel-2 stride-2 ConvTranspose replaced by its Conv + shuffle equivalent.
 * Anything it does not recognise (other attributes, weights not stored as floats in the file)
 * is left as it is; a graph with nothing to rewrite comes back as the same bytes.
 */
export function rewriteUpsampling(model: Uint8Array): DetectorGraph {
  const top = fields(model);
  const graphField = top.find((f) => f.no === MODEL_GRAPH && f.wire === LEN);
  if (!graphField) return { bytes: model, rewritten: 0 };
  const graph = fields(graphField.payload!);
  const floats = new Map<string, Tensor>();
  // Each graph field's initializer name (undefined for other fields), parsed once.
  const initNames = graph.map((f) => {
    if (f.no !== GRAPH_INITIALIZER) return undefined;
    const { name, tensor } = parseFloatTensor(f.payload!);
    if (tensor) floats.set(name, tensor);
    return name;
  });
  // Weights read by anything but a replaced node must stay.
  const readers = new Map<string, number>();
  const nodes = graph.map((f) =>
    f.no === GRAPH_NODE && f.wire === LEN ? parseNode(f.raw, f.payload!) : null,
  );
  for (const n of nodes) for (const i of n?.inputs ?? []) readers.set(i, (readers.get(i) ?? 0) + 1);
  const chunks: { bytes: Uint8Array; init?: string }[] = [];
  const extraInits: Uint8Array[] = [];
  const dropped = new Set<string>();
  let k = 0;
  graph.forEach((f, at) => {
    const n = nodes[at];
    if (n) {
      const w = floats.get(n.inputs[1] ?? '');
      const bias = n.inputs[2] ? floats.get(n.inputs[2]) : undefined;
      if (isStride2Upsample(n, w) && (!n.inputs[2] || bias) && n.outputs.length === 1) {
        const r = replacement(n, k++, w!, bias);
        for (const node of r.nodes) chunks.push({ bytes: lenFieldBytes(GRAPH_NODE, node) });
        extraInits.push(...r.inits);
        for (const i of n.inputs.slice(1)) if (readers.get(i) === 1) dropped.add(i);
        return;
      }
    }
    chunks.push({ bytes: f.raw, ...(initNames[at] !== undefined ? { init: initNames[at] } : {}) });
  });
  if (k === 0) return { bytes: model, rewritten: 0 };
  const kept = chunks.filter((c) => c.init === undefined || !dropped.has(c.init)).map((c) => c.bytes);
  const graphBytes = Buffer.concat([...kept, ...extraInits.map((i) => lenFieldBytes(GRAPH_INITIALIZER, i))]);
  const out = top.map((f) => (f === graphField ? lenFieldBytes(MODEL_GRAPH, graphBytes) : f.raw));
  return { bytes: Buffer.concat(out), rewritten: k };
}

// ValueInfoProto.type; TypeProto.tensor_type; TypeProto.Tensor.shape; TensorShapeProto.dim;
// Dimension.dim_value / dim_param; GraphProto.input / output / value_info (onnx.proto).
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE_TENSOR = 1;
const TENSOR_TYPE_SHAPE = 2;
const SHAPE_DIM = 1;
const DIM = { value: 1, param: 2 } as const;
const GRAPH_IO = { input: 11, output: 12, valueInfo: 13 } as const;
const SPATIAL_NAMES = ['z', 'y', 'x'] as const;

/** A ValueInfo with dims 2..4 of its 5-D tensor shape made symbolic; null if it has no such shape. */
function freeValueInfo(payload: Uint8Array): Uint8Array | null {
  const vi = fields(payload);
  const typeField = vi.find((f) => f.no === VALUE_INFO.type && f.wire === LEN);
  const type = typeField ? fields(typeField.payload!) : [];
  const tensorField = type.find((f) => f.no === TYPE_TENSOR && f.wire === LEN);
  if (!typeField || !tensorField) return null;
  const tensor = fields(tensorField.payload!);
  const shapeField = tensor.find((f) => f.no === TENSOR_TYPE_SHAPE && f.wire === LEN);
  if (!shapeField) return null;
  const shape = fields(shapeField.payload!);
  const dims = shape.filter((f) => f.no === SHAPE_DIM && f.wire === LEN);
  if (dims.length !== 5) return null;
  const newDim = (k: number) => {
    const w = Writer.create();
    strField(w, DIM.param, SPATIAL_NAMES[k - 2]!);
    return w.finish();
  };
  const shapeOut = Buffer.concat(
    shape.map((f) => {
      const k = dims.indexOf(f);
      return k >= 2 ? lenFieldBytes(SHAPE_DIM, newDim(k)) : f.raw;
    }),
  );
  const swap = (fs: Field[], target: Field, no: number, payload: Uint8Array) =>
    Buffer.concat(fs.map((f) => (f === target ? lenFieldBytes(no, payload) : f.raw)));
  const tensorOut = swap(tensor, shapeField, TENSOR_TYPE_SHAPE, shapeOut);
  const typeOut = swap(type, tensorField, TYPE_TENSOR, tensorOut);
  return swap(vi, typeField, VALUE_INFO.type, typeOut);
}

/**
 * The model with the Z, Y, X sizes of the named inputs and outputs left open (symbolic), and its
 * intermediate shape hints (value_info, optional) dropped, so a fully convolutional detector takes
 * tiles of other sizes than the patch it was exported with. `freed` counts the inputs and outputs
 * changed; 0: the model comes back as the same bytes.
 */
export function freeSpatialDims(
  model: Uint8Array,
  names: readonly string[],
): { bytes: Uint8Array; freed: number } {
  const top = fields(model);
  const graphField = top.find((f) => f.no === MODEL_GRAPH && f.wire === LEN);
  if (!graphField) return { bytes: model, freed: 0 };
  let freed = 0;
  const parts: Uint8Array[] = [];
  for (const f of fields(graphField.payload!)) {
    if (f.no === GRAPH_IO.valueInfo) continue;
    if ((f.no === GRAPH_IO.input || f.no === GRAPH_IO.output) && f.wire === LEN) {
      const name = text(fields(f.payload!).find((x) => x.no === VALUE_INFO.name)?.payload);
      const out = names.includes(name) ? freeValueInfo(f.payload!) : null;
      if (out) {
        freed++;
        parts.push(lenFieldBytes(f.no, out));
        continue;
      }
    }
    parts.push(f.raw);
  }
  if (freed === 0) return { bytes: model, freed: 0 };
  const graphBytes = Buffer.concat(parts);
  return {
    bytes: Buffer.concat(top.map((f) => (f === graphField ? lenFieldBytes(MODEL_GRAPH, graphBytes) : f.raw))),
    freed,
  };
}

/**
 * The product of the strides of the graph's strided Convs (2 x 2 x 2 = 8 for the shipped U-Net's
 * three stride-2 levels): a U-Net whose decoder adds each level back onto its encoder takes a tile
 * only when every edge is a multiple of it. The runtime checks a tile of another size before it
 * uses one.
 */
export function downsamplingFactor(model: Uint8Array): number {
  const graphField = fields(model).find((f) => f.no === MODEL_GRAPH && f.wire === LEN);
  if (!graphField) return 1;
  let factor = 1;
  for (const f of fields(graphField.payload!)) {
    if (f.no !== GRAPH_NODE || f.wire !== LEN) continue;
    const n = parseNode(f.raw, f.payload!);
    if (n.opType !== 'Conv' || n.domain !== '') continue;
    const strides = n.attributes.get('strides')?.ints ?? [];
    factor *= Math.max(1, ...strides);
  }
  return factor;
}
