import { gzipSync } from 'node:zlib';
import type { VolumeGeometry } from '../../common/volume';
import type { Heatmap } from './pipeline';

/**
 * NIfTI-1 single-file writer (.nii, gzip for .nii.gz) for 8-bit volumes on a DICOM grid. NIfTI's
 * world is RAS while DICOM's is LPS, so the x and y rows of the affine are negated; sform and
 * qform both hold it (code 1, scanner anatomical), so every reader places it where the CT is.
 */
export interface NiftiImage extends VolumeGeometry {
  data: Uint8Array;
  /** Stored value * slope + intercept = real value. */
  slope?: number;
  intercept?: number;
  description?: string;
}

/** The 3x4 voxel -> RAS (mm) affine of a DICOM-geometry volume. */
export function rasAffine(g: VolumeGeometry): number[][] {
  const [sx, sy, sz] = g.spacingMm;
  const d = g.direction;
  const o = g.originLps;
  const lps = [0, 1, 2].map((r) => [d[r]! * sx, d[3 + r]! * sy, d[6 + r]! * sz, o[r]!]);
  return [lps[0]!.map((v) => -v), lps[1]!.map((v) => -v), lps[2]!];
}

/** Quaternion parameters (b, c, d) and qfac of the rotation part, as nifti1_io's mat44_to_quatern. */
export function quaternion(g: VolumeGeometry): { b: number; c: number; d: number; qfac: number } {
  const a = rasAffine(g);
  const cols = [0, 1, 2].map((c) => {
    const v = [a[0]![c]!, a[1]![c]!, a[2]![c]!];
    const n = Math.hypot(v[0]!, v[1]!, v[2]!) || 1;
    return v.map((x) => x / n);
  });
  const R = [0, 1, 2].map((r) => [cols[0]![r]!, cols[1]![r]!, cols[2]![r]!]);
  const det =
    R[0]![0]! * (R[1]![1]! * R[2]![2]! - R[1]![2]! * R[2]![1]!) -
    R[0]![1]! * (R[1]![0]! * R[2]![2]! - R[1]![2]! * R[2]![0]!) +
    R[0]![2]! * (R[1]![0]! * R[2]![1]! - R[1]![1]! * R[2]![0]!);
  let qfac = 1;
  if (det < 0) {
    qfac = -1;
    for (let r = 0; r < 3; r++) R[r]![2] = -R[r]![2]!;
  }
  const [r11, r12, r13] = R[0] as [number, number, number];
  const [r21, r22, r23] = R[1] as [number, number, number];
  const [r31, r32, r33] = R[2] as [number, number, number];
  let qa = 1 + r11 + r22 + r33;
  let b: number;
  let c: number;
  let d: number;
  if (qa > 0.5) {
    qa = 0.5 * Math.sqrt(qa);
    b = (0.25 * (r32 - r23)) / qa;
    c = (0.25 * (r13 - r31)) / qa;
    d = (0.25 * (r21 - r12)) / qa;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      qa = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      qa = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      qa = (0.25 * (r21 - r12)) / d;
    }
    if (qa < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qfac };
}

export function encodeNifti(img: NiftiImage, gzip = true): Buffer {
  const [nx, ny, nz] = img.dims;
  if (img.data.length !== nx * ny * nz) throw new RangeError('NIfTI data length does not match dims');
  const header = Buffer.alloc(352);
  header.writeInt32LE(348, 0);
  header.write('r', 38, 'latin1');
  const dim = [3, nx, ny, nz, 1, 1, 1, 1];
  dim.forEach((v, i) => header.writeInt16LE(v, 40 + 2 * i));
  header.writeInt16LE(2, 70); // DT_UINT8
  header.writeInt16LE(8, 72); // bitpix
  const q = quaternion(img);
  const pix = [q.qfac, img.spacingMm[0], img.spacingMm[1], img.spacingMm[2], 1, 1, 1, 1];
  pix.forEach((v, i) => header.writeFloatLE(v, 76 + 4 * i));
  header.writeFloatLE(352, 108); // vox_offset
  header.writeFloatLE(img.slope ?? 1, 112);
  header.writeFloatLE(img.intercept ?? 0, 116);
  header.writeUInt8(2, 123); // xyzt_units: mm
  header.writeFloatLE((img.slope ?? 1) * 255 + (img.intercept ?? 0), 124); // cal_max
  header.writeFloatLE(img.intercept ?? 0, 128); // cal_min
  header.write((img.description ?? '').slice(0, 79), 148, 'latin1');
  header.writeInt16LE(1, 252); // qform_code: scanner anatomical
  header.writeInt16LE(1, 254); // sform_code
  const a = rasAffine(img);
  header.writeFloatLE(q.b, 256);
  header.writeFloatLE(q.c, 260);
  header.writeFloatLE(q.d, 264);
  header.writeFloatLE(a[0]![3]!, 268);
  header.writeFloatLE(a[1]![3]!, 272);
  header.writeFloatLE(a[2]![3]!, 276);
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 4; c++) header.writeFloatLE(a[r]![c]!, 280 + 16 * r + 4 * c);
  header.write('n+1\0', 344, 'latin1');
  // bytes 348..351: no extensions
  const file = Buffer.concat([
    header,
    Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength),
  ]);
  return gzip ? gzipSync(file, { level: 6 }) : file;
}

/** The heatmap as a .nii.gz whose scaled values are probabilities 0..1. */
export function heatmapToNifti(h: Heatmap): Buffer {
  return encodeNifti({ ...h, slope: 1 / 255, intercept: 0, description: 'PulmoLens nodule probability' });
}
