import type { Vec3 } from '../../common/volume';

export interface HeatmapCandidate {
  /** Probability-weighted centroid of the candidate's region, in grid voxels. */
  centre: Vec3;
  /** Peak probability. */
  peak: number;
  /** Voxels in its region (probability >= half the peak, connected to the peak). */
  regionVoxels: number;
  /** Diameter of the sphere with the region's volume, in mm. */
  extentMm: number;
}

export interface CandidateOptions {
  threshold: number;
  spacingMm: Vec3;
  /** Never look further than this from a peak when outlining its region (mm). */
  maxRadiusMm?: number;
  maxCandidates?: number;
}

/**
 * Candidates from a probability volume: local maxima (26-neighbourhood) at or above the threshold,
 * strongest first; each claims its region (connected voxels >= half its peak, within maxRadius)
 * and any weaker maximum inside that region or within the region's radius + 2 mm is merged into it.
 */
export function findCandidates(prob: Float32Array, dims: Vec3, opts: CandidateOptions): HeatmapCandidate[] {
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  const [sx, sy, sz] = opts.spacingMm;
  const maxima: number[] = [];
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const v = x + y * nx + z * plane;
        const p = prob[v]!;
        if (!(p >= opts.threshold)) continue;
        let isMax = true;
        for (let dz = -1; dz <= 1 && isMax; dz++) {
          const zz = z + dz;
          if (zz < 0 || zz >= nz) continue;
          for (let dy = -1; dy <= 1 && isMax; dy++) {
            const yy = y + dy;
            if (yy < 0 || yy >= ny) continue;
            for (let dx = -1; dx <= 1; dx++) {
              const xx = x + dx;
              if (xx < 0 || xx >= nx || (dx === 0 && dy === 0 && dz === 0)) continue;
              const q = prob[xx + yy * nx + zz * plane]!;
              // Ties go to the lower index so a plateau yields one maximum.
              if (q > p || (q === p && xx + yy * nx + zz * plane < v)) {
                isMax = false;
                break;
              }
            }
          }
        }
        if (isMax) maxima.push(v);
      }
    }
  }
  maxima.sort((a, b) => prob[b]! - prob[a]!);

  // Each kept candidate owns a box around its peak with a mask of the voxels it claimed.
  const kept: Array<
    HeatmapCandidate & { peakAt: Vec3; radiusMm: number; box: Vec3; size: Vec3; claimed: Uint8Array }
  > = [];
  const maxR = opts.maxRadiusMm ?? 20;
  const rx = Math.ceil(maxR / sx);
  const ry = Math.ceil(maxR / sy);
  const rz = Math.ceil(maxR / sz);
  const limit = opts.maxCandidates ?? 200;
  const isClaimed = (x: number, y: number, z: number) =>
    kept.some((c) => {
      const a = x - c.box[0];
      const b = y - c.box[1];
      const d = z - c.box[2];
      if (a < 0 || b < 0 || d < 0 || a >= c.size[0] || b >= c.size[1] || d >= c.size[2]) return false;
      return c.claimed[a + b * c.size[0] + d * c.size[0] * c.size[1]] === 1;
    });
  for (const m of maxima) {
    if (kept.length >= limit) break;
    const mx = m % nx;
    const my = Math.floor(m / nx) % ny;
    const mz = Math.floor(m / plane);
    if (isClaimed(mx, my, mz)) continue;
    const near = kept.some((c) => {
      const d = Math.hypot((mx - c.peakAt[0]) * sx, (my - c.peakAt[1]) * sy, (mz - c.peakAt[2]) * sz);
      return d <= c.radiusMm + 2;
    });
    if (near) continue;
    const peak = prob[m]!;
    const level = Math.max(opts.threshold, peak / 2);
    const box: Vec3 = [Math.max(0, mx - rx), Math.max(0, my - ry), Math.max(0, mz - rz)];
    const size: Vec3 = [
      Math.min(nx - 1, mx + rx) - box[0] + 1,
      Math.min(ny - 1, my + ry) - box[1] + 1,
      Math.min(nz - 1, mz + rz) - box[2] + 1,
    ];
    const [bx, by, bz] = size;
    const bplane = bx * by;
    // 0 = unseen, 1 = in the region, 2 = seen and below the level
    const state = new Uint8Array(bx * by * bz);
    const stack = new Int32Array(state.length);
    let top = 0;
    const start = mx - box[0] + (my - box[1]) * bx + (mz - box[2]) * bplane;
    state[start] = 1;
    stack[top++] = start;
    let count = 0;
    let w = 0;
    let cx = 0;
    let cy = 0;
    let cz = 0;
    while (top > 0) {
      const l = stack[--top]!;
      const lz = (l / bplane) | 0;
      const r = l - lz * bplane;
      const ly = (r / bx) | 0;
      const lx = r - ly * bx;
      const p = prob[box[0] + lx + (box[1] + ly) * nx + (box[2] + lz) * plane]!;
      count++;
      w += p;
      cx += p * (box[0] + lx);
      cy += p * (box[1] + ly);
      cz += p * (box[2] + lz);
      for (let n = 0; n < 6; n++) {
        const ax = lx + (n === 0 ? -1 : n === 1 ? 1 : 0);
        const ay = ly + (n === 2 ? -1 : n === 3 ? 1 : 0);
        const az = lz + (n === 4 ? -1 : n === 5 ? 1 : 0);
        if (ax < 0 || ay < 0 || az < 0 || ax >= bx || ay >= by || az >= bz) continue;
        const k = ax + ay * bx + az * bplane;
        if (state[k] !== 0) continue;
        if (prob[box[0] + ax + (box[1] + ay) * nx + (box[2] + az) * plane]! >= level) {
          state[k] = 1;
          stack[top++] = k;
        } else {
          state[k] = 2;
        }
      }
    }
    for (let k = 0; k < state.length; k++) if (state[k] === 2) state[k] = 0;
    const volumeMm3 = count * sx * sy * sz;
    const extentMm = 2 * Math.cbrt((3 * volumeMm3) / (4 * Math.PI));
    kept.push({
      centre: [cx / w, cy / w, cz / w],
      peak,
      regionVoxels: count,
      extentMm,
      peakAt: [mx, my, mz],
      radiusMm: extentMm / 2,
      box,
      size,
      claimed: state,
    });
  }
  return kept.map(({ centre, peak, regionVoxels, extentMm }) => ({ centre, peak, regionVoxels, extentMm }));
}
