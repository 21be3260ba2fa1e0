import type { Vec3 } from '../volume/volume';

export interface Candidate {
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
export function findCandidates(prob: Float32Array, dims: Vec3, opts: CandidateOptions): Candidate[] {
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

  const claimed = new Set<number>();
  const kept: Array<Candidate & { peakAt: Vec3; radiusMm: number }> = [];
  const maxR = opts.maxRadiusMm ?? 20;
  const rx = Math.ceil(maxR / sx);
  const ry = Math.ceil(maxR / sy);
  const rz = Math.ceil(maxR / sz);
  const limit = opts.maxCandidates ?? 200;
  for (const m of maxima) {
    if (kept.length >= limit) break;
    if (claimed.has(m)) continue;
    const mx = m % nx;
    const my = Math.floor(m / nx) % ny;
    const mz = Math.floor(m / plane);
    const near = kept.some((c) => {
      const d = Math.hypot((mx - c.peakAt[0]) * sx, (my - c.peakAt[1]) * sy, (mz - c.peakAt[2]) * sz);
      return d <= c.radiusMm + 2;
    });
    if (near) continue;
    const peak = prob[m]!;
    const level = Math.max(opts.threshold, peak / 2);
    const stack = [m];
    const seen = new Set<number>([m]);
    let w = 0;
    let cx = 0;
    let cy = 0;
    let cz = 0;
    while (stack.length > 0) {
      const v = stack.pop()!;
      const x = v % nx;
      const y = Math.floor(v / nx) % ny;
      const z = Math.floor(v / plane);
      const p = prob[v]!;
      w += p;
      cx += p * x;
      cy += p * y;
      cz += p * z;
      claimed.add(v);
      const visit = (n: number, xx: number, yy: number, zz: number) => {
        if (seen.has(n)) return;
        if (Math.abs(xx - mx) > rx || Math.abs(yy - my) > ry || Math.abs(zz - mz) > rz) return;
        seen.add(n);
        if (prob[n]! >= level) stack.push(n);
      };
      if (x > 0) visit(v - 1, x - 1, y, z);
      if (x < nx - 1) visit(v + 1, x + 1, y, z);
      if (y > 0) visit(v - nx, x, y - 1, z);
      if (y < ny - 1) visit(v + nx, x, y + 1, z);
      if (z > 0) visit(v - plane, x, y, z - 1);
      if (z < nz - 1) visit(v + plane, x, y, z + 1);
    }
    const count = [...seen].filter((n) => prob[n]! >= level).length;
    const volumeMm3 = count * sx * sy * sz;
    const extentMm = 2 * Math.cbrt((3 * volumeMm3) / (4 * Math.PI));
    kept.push({
      centre: [cx / w, cy / w, cz / w],
      peak,
      regionVoxels: count,
      extentMm,
      peakAt: [mx, my, mz],
      radiusMm: extentMm / 2,
    });
  }
  return kept.map(({ centre, peak, regionVoxels, extentMm }) => ({ centre, peak, regionVoxels, extentMm }));
}
