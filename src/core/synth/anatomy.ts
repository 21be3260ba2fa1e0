/**
 * The analytic chest: every structure is a closed-form function of world position (LPS mm,
 * x to the patient's left, y posterior, z superior), so the phantom can be sampled on any grid
 * and nodules can be placed by querying the lung without rasterising anything first.
 */
import type { Rng } from './prng';

export interface LungShape {
  /** Axial centre (x, y) and half-axes at the widest level, mm. */
  cx: number;
  cy: number;
  ax: number;
  ay: number;
  /** Apex height and lateral base (costophrenic recess) height, mm. */
  zApex: number;
  zBase: number;
  /** Height of the diaphragm dome under this lung, mm. */
  zDome: number;
}

export interface ChestAnatomy {
  /** Body half-axes (skin), mm. */
  bodyAx: number;
  bodyAy: number;
  fatMm: number;
  muscleMm: number;
  /** Chest-wall thickness inside the muscle (ribs, intercostal tissue), mm. */
  wallMm: number;
  lungs: [LungShape, LungShape];
  heart: { c: [number, number, number]; r: [number, number, number] };
  /** Lung parenchyma HU in the anterior (non-dependent) lung; posterior lung is denser. */
  lungHu: number;
  ribPitchMm: number;
  ribPhase: number;
  spine: { cy: number; r: number };
  aorta: { cx: number; cy: number; r: number };
}

export function randomAnatomy(rng: Rng): ChestAnatomy {
  const s = rng.uniform(0.92, 1.08);
  const zApex = rng.uniform(105, 125);
  const zBase = rng.uniform(-140, -120);
  return {
    bodyAx: 160 * s * rng.uniform(0.95, 1.05),
    bodyAy: 112 * s * rng.uniform(0.95, 1.05),
    fatMm: rng.uniform(6, 22),
    muscleMm: rng.uniform(7, 12),
    wallMm: rng.uniform(9, 13),
    lungs: [
      // Right lung (patient right = negative x); its dome sits higher over the liver.
      {
        cx: -78 * s,
        cy: 6,
        ax: 62 * s,
        ay: 92 * s,
        zApex,
        zBase,
        zDome: zBase + rng.uniform(55, 75),
      },
      {
        cx: 80 * s,
        cy: 8,
        ax: 58 * s,
        ay: 90 * s,
        zApex: zApex - 3,
        zBase: zBase - 5,
        zDome: zBase + rng.uniform(40, 60),
      },
    ],
    heart: { c: [18, -28, zBase + 60], r: [62 * s, 52 * s, 55] },
    lungHu: rng.uniform(-880, -840),
    ribPitchMm: rng.uniform(22, 28),
    ribPhase: rng.uniform(0, 1),
    spine: { cy: 78 * s, r: 19 * s },
    aorta: { cx: 24, cy: 50 * s, r: 12 },
  };
}

/** Radial depth (mm) of (x, y) inside an axis-aligned ellipse, measured along the ray from its centre. */
function ellipseDepth(x: number, y: number, ax: number, ay: number): number {
  const r = Math.sqrt(x * x + y * y);
  const rho = Math.sqrt((x / ax) ** 2 + (y / ay) ** 2);
  if (rho === 0) return Math.min(ax, ay);
  return r / rho - r;
}

/** Lung cross-section scale at height z: narrows to a point at the apex, widest below the hilum. */
function lungScaleAtZ(l: LungShape, z: number): number {
  if (z >= l.zApex) return 0;
  const zWide = l.zBase + 0.35 * (l.zApex - l.zBase);
  if (z <= zWide) return 1;
  const t = (z - zWide) / (l.zApex - zWide);
  return Math.sqrt(Math.max(0, 1 - t * t)) ** 0.9;
}

/** Cavity half-axes: the inside of the chest wall. */
function cavityAxes(a: ChestAnatomy): [number, number] {
  const t = a.fatMm + a.muscleMm + a.wallMm;
  return [a.bodyAx - t, a.bodyAy - t];
}

/**
 * Which lung (0 right, 1 left) contains the point, or -1. The lung is the intersection of an
 * elliptic column tapering to the apex, the space above the diaphragm dome and inside the chest
 * wall, minus the mediastinum, heart, aorta and spine.
 */
export function lungAt(a: ChestAnatomy, x: number, y: number, z: number): number {
  const [cax, cay] = cavityAxes(a);
  if ((x / cax) ** 2 + (y / cay) ** 2 >= 1) return -1;
  if (Math.abs(x) < 20 + Math.max(0, -y) * 0.08) return -1;
  const h = a.heart;
  if (((x - h.c[0]) / h.r[0]) ** 2 + ((y - h.c[1]) / h.r[1]) ** 2 + ((z - h.c[2]) / h.r[2]) ** 2 < 1)
    return -1;
  const ao = a.aorta;
  if ((x - ao.cx) ** 2 + (y - ao.cy) ** 2 < (ao.r + 3) ** 2) return -1;
  const sp = a.spine;
  if (x * x + (y - sp.cy) ** 2 < (sp.r + 14) ** 2) return -1;
  for (let n = 0; n < 2; n++) {
    const l = a.lungs[n]!;
    const s = lungScaleAtZ(l, z);
    if (s <= 0) continue;
    const u = (x - l.cx) / l.ax;
    const v = (y - l.cy) / l.ay;
    const q = u * u + v * v;
    if (q >= s * s) continue;
    const zDia = l.zBase + (l.zDome - l.zBase) * Math.max(0, 1 - q * 1.4);
    if (z <= zDia) continue;
    return n;
  }
  return -1;
}

/** Whether a rib passes through the chest-wall point at angle `theta` (radians) and height z. */
function ribAt(a: ChestAnatomy, x: number, y: number, z: number): boolean {
  // Sternum gap anteriorly; ribs slope downwards from back to front.
  if (y < -40 && Math.abs(x) < 28) return false;
  const theta = Math.atan2(-y, Math.abs(x)); // 0 lateral, +pi/2 anterior
  const zz = z + 30 * Math.sin(theta) + a.ribPhase * a.ribPitchMm;
  const f = zz / a.ribPitchMm - Math.floor(zz / a.ribPitchMm);
  return f < 0.36;
}

/** HU of the background anatomy (everything but airways, vessels and nodules). */
export function anatomyHu(a: ChestAnatomy, x: number, y: number, z: number): number {
  const depth = ellipseDepth(x, y, a.bodyAx, a.bodyAy);
  if (depth <= 0) return -1000;
  if (depth < 1.5) return 20; // skin
  if (depth < a.fatMm) return -100;
  if (depth < a.fatMm + a.muscleMm) return 45;
  // Spine and spinal canal sit in the posterior midline of every slice.
  const sp = a.spine;
  const dsp = Math.sqrt(x * x + (y - sp.cy) ** 2);
  if (dsp < sp.r) return dsp > sp.r - 2.5 ? 700 : 260;
  const dCanal = Math.sqrt(x * x + (y - sp.cy - sp.r - 9) ** 2);
  if (dCanal < 9) return 15;
  if (dCanal < 13) return 500;
  if (depth < a.fatMm + a.muscleMm + a.wallMm) {
    const inner = depth - a.fatMm - a.muscleMm;
    if (inner > 1.5 && inner < a.wallMm - 1.5 && ribAt(a, x, y, z)) {
      return inner < 3 || inner > a.wallMm - 3 ? 650 : 250;
    }
    return 40;
  }
  const lung = lungAt(a, x, y, z);
  if (lung >= 0) return a.lungHu + 45 * ((y + 100) / 200);
  // Mediastinum: fat around the great vessels, soft tissue elsewhere.
  const h = a.heart;
  const qh = ((x - h.c[0]) / h.r[0]) ** 2 + ((y - h.c[1]) / h.r[1]) ** 2 + ((z - h.c[2]) / h.r[2]) ** 2;
  if (qh < 1) return qh > 0.85 ? -90 : 40;
  const ao = a.aorta;
  if ((x - ao.cx) ** 2 + (y - ao.cy) ** 2 < ao.r * ao.r) return 42;
  return Math.abs(x) < 30 && y < 30 ? -60 : 35;
}
