import type { Vec3 } from '../../common/volume';

/** Binary 3D masks on an x-fastest grid: small, allocation-light building blocks for the lung mask. */

export interface Components {
  /** 0 = background, else component id (1-based). */
  labels: Int32Array;
  /** sizes[id] in voxels (sizes[0] unused). */
  sizes: number[];
  /** slices[id]: how many z slices hold part of the component. */
  slices: number[];
  /** sideSlices[id]: in how many of them it reaches the x or y border (or touches `edge`). */
  sideSlices: number[];
}

/** Bounding box [lo, hi) of the non-zero voxels, per axis (x, y, z); null when there are none. */
export function maskBounds(mask: Uint8Array, dims: Readonly<Vec3>): { lo: Vec3; hi: Vec3 } | null {
  const [nx, ny, nz] = dims;
  const lo: Vec3 = [nx, ny, nz];
  const hi: Vec3 = [0, 0, 0];
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++) {
      const row = (z * ny + y) * nx;
      let first = -1;
      let last = -1;
      for (let x = 0; x < nx; x++)
        if (mask[row + x]) {
          if (first < 0) first = x;
          last = x;
        }
      if (first < 0) continue;
      lo[0] = Math.min(lo[0], first);
      hi[0] = Math.max(hi[0], last + 1);
      lo[1] = Math.min(lo[1], y);
      hi[1] = Math.max(hi[1], y + 1);
      lo[2] = Math.min(lo[2], z);
      hi[2] = Math.max(hi[2], z + 1);
    }
  return hi[0] > 0 ? { lo, hi } : null;
}

/**
 * 6-connected components of the non-zero voxels. `edge` (optional, one in-plane slice): pixels
 * that count as the image's side too (outside the reconstructed field of view), for `sideSlices`.
 */
export function labelComponents(mask: Uint8Array, dims: Vec3, edge?: Uint8Array): Components {
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  const labels = new Int32Array(mask.length);
  const sizes = [0];
  const stack = new Int32Array(mask.length);
  let next = 0;
  for (let start = 0; start < mask.length; start++) {
    if (mask[start] === 0 || labels[start] !== 0) continue;
    const id = ++next;
    let size = 0;
    let top = 0;
    stack[top++] = start;
    labels[start] = id;
    // Hot loop: no closures, one division per voxel.
    while (top > 0) {
      const v = stack[--top]!;
      size++;
      const z = (v / plane) | 0;
      const r = v - z * plane;
      const y = (r / nx) | 0;
      const x = r - y * nx;
      let n = v - 1;
      if (x > 0 && mask[n] !== 0 && labels[n] === 0) {
        labels[n] = id;
        stack[top++] = n;
      }
      n = v + 1;
      if (x < nx - 1 && mask[n] !== 0 && labels[n] === 0) {
        labels[n] = id;
        stack[top++] = n;
      }
      n = v - nx;
      if (y > 0 && mask[n] !== 0 && labels[n] === 0) {
        labels[n] = id;
        stack[top++] = n;
      }
      n = v + nx;
      if (y < ny - 1 && mask[n] !== 0 && labels[n] === 0) {
        labels[n] = id;
        stack[top++] = n;
      }
      n = v - plane;
      if (z > 0 && mask[n] !== 0 && labels[n] === 0) {
        labels[n] = id;
        stack[top++] = n;
      }
      n = v + plane;
      if (z < nz - 1 && mask[n] !== 0 && labels[n] === 0) {
        labels[n] = id;
        stack[top++] = n;
      }
    }
    sizes.push(size);
  }
  // Slices per component, and those where it reaches the border: one pass in z order.
  const slices = new Array<number>(next + 1).fill(0);
  const sideSlices = new Array<number>(next + 1).fill(0);
  const lastZ = new Int32Array(next + 1).fill(-1);
  const lastSideZ = new Int32Array(next + 1).fill(-1);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++) {
      const row = (z * ny + y) * nx;
      const edgeRow = y === 0 || y === ny - 1;
      for (let x = 0; x < nx; x++) {
        const id = labels[row + x]!;
        if (id === 0) continue;
        if (lastZ[id] !== z) {
          lastZ[id] = z;
          slices[id]! += 1;
        }
        if (lastSideZ[id] === z) continue;
        const p = y * nx + x;
        const atSide =
          edgeRow ||
          x === 0 ||
          x === nx - 1 ||
          (edge !== undefined &&
            (edge[p - 1] === 1 || edge[p + 1] === 1 || edge[p - nx] === 1 || edge[p + nx] === 1));
        if (atSide) {
          lastSideZ[id] = z;
          sideSlices[id]! += 1;
        }
      }
    }
  return { labels, sizes, slices, sideSlices };
}

/**
 * Fills, slice by slice, background regions that do not reach the slice border (vessels, nodules),
 * those of at most `maxHolePixels` pixels when given: where the two lungs meet in a slice (at the
 * carina, or bridged by a closing along the anterior junction) the whole mediastinum between them
 * is such a region, and it is not lung.
 */
export function fillHolesAxial(mask: Uint8Array, dims: Vec3, maxHolePixels = Infinity): Uint8Array {
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  const out = mask.slice();
  // 1: reached from the slice border; 2: in a hole already flooded.
  const seen = new Uint8Array(plane);
  const stack = new Int32Array(plane);
  for (let z = 0; z < nz; z++) {
    const base = z * plane;
    seen.fill(0);
    let top = 0;
    const seed = (p: number, mark: 1 | 2) => {
      if (mask[base + p] === 0 && seen[p] === 0) {
        seen[p] = mark;
        stack[top++] = p;
      }
    };
    /** Floods the background region(s) seeded so far; the pixels visited end on stack[0, n). */
    const flood = (mark: 1 | 2): number => {
      let n = 0;
      while (top > n) {
        const p = stack[n++]!;
        const x = p % nx;
        const y = (p - x) / nx;
        if (x > 0) seed(p - 1, mark);
        if (x < nx - 1) seed(p + 1, mark);
        if (y > 0) seed(p - nx, mark);
        if (y < ny - 1) seed(p + nx, mark);
      }
      return n;
    };
    for (let x = 0; x < nx; x++) {
      seed(x, 1);
      seed(x + (ny - 1) * nx, 1);
    }
    for (let y = 0; y < ny; y++) {
      seed(y * nx, 1);
      seed(nx - 1 + y * nx, 1);
    }
    flood(1);
    for (let p0 = 0; p0 < plane; p0++) {
      if (seen[p0] !== 0 || mask[base + p0] !== 0) continue;
      top = 0;
      seed(p0, 2);
      const n = flood(2);
      if (n <= maxHolePixels) for (let h = 0; h < n; h++) out[base + stack[h]!] = 1;
    }
  }
  return out;
}

/**
 * Box dilation (erode = false) or erosion (erode = true) by radius r[a] voxels along each axis,
 * separable, with a running count so each pass is linear in the voxel count. Erosion treats the
 * outside as foreground, so a closing never eats into a mask that touches the grid edge.
 */
export function boxFilter(mask: Uint8Array, dims: Vec3, r: Vec3, erode: boolean): Uint8Array {
  let cur = mask;
  const strides = [1, dims[0], dims[0] * dims[1]];
  for (let a = 0; a < 3; a++) {
    const rad = r[a]!;
    if (rad <= 0) continue;
    const n = dims[a]!;
    const stride = strides[a]!;
    const out = new Uint8Array(cur.length);
    const lines = cur.length / n;
    const win = 2 * rad + 1;
    for (let l = 0; l < lines; l++) {
      // Line start: enumerate all voxels whose coordinate along axis a is 0.
      const lower = l % stride;
      const upper = Math.floor(l / stride);
      const start = lower + upper * stride * n;
      const edge = erode ? 1 : 0;
      let count = 0;
      for (let t = -rad; t <= rad; t++) count += t < 0 || t >= n ? edge : cur[start + t * stride]!;
      for (let t = 0; t < n; t++) {
        out[start + t * stride] = erode ? (count === win ? 1 : 0) : count > 0 ? 1 : 0;
        const add = t + rad + 1;
        const drop = t - rad;
        count +=
          (add >= n ? edge : cur[start + add * stride]!) - (drop < 0 ? edge : cur[start + drop * stride]!);
      }
    }
    cur = out;
  }
  return cur === mask ? mask.slice() : cur;
}
