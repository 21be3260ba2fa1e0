/**
 * The bias audit: sensitivity (with a bootstrap CI over scans), false positives per scan and counts
 * by nodule diameter, nodule type (where the reference gives it), slice thickness, manufacturer,
 * reconstruction kernel, patient sex and age band, and (where the analyses measured it) image noise
 * against the noise the models were validated at, all at the primary operating threshold.
 * Nodule-level groups (diameter, type) file a false positive under its own measured size or type;
 * scan-level groups file each scan, its nodules and its false positives under the scan's header.
 */
import type {
  ScanInfo,
  ScanMatch,
  ScanNoise,
  ScanRecord,
  SubgroupDimension,
  SubgroupRow,
  Subgroups,
} from '../../common/eval';
import type { NoduleType } from '../../common/findings/findings-document';
import { bootstrapScans, intervalNote, type BootstrapSpec } from './confidence';
import { AGE_BANDS } from './scan-info';

const UNKNOWN = 'unknown';
export const DIAMETER_BINS = ['3-6 mm', '6-10 mm', '10-20 mm', '20-30 mm'] as const;
export const THICKNESS_BINS = ['<=1.25 mm', '<=2.5 mm', '>2.5 mm'] as const;
const TYPES: readonly NoduleType[] = ['solid', 'part-solid', 'ground-glass'];

export function diameterBin(d: number | undefined): string {
  if (d === undefined || !Number.isFinite(d)) return UNKNOWN;
  if (d < 3) return '<3 mm';
  if (d < 6) return '3-6 mm';
  if (d < 10) return '6-10 mm';
  if (d < 20) return '10-20 mm';
  if (d <= 30) return '20-30 mm';
  return '>30 mm';
}

export const NOISE_BINS = ['within validated noise', 'above validated noise'] as const;

/** A scan's noise group: the analysis' own judgement against its models' validated limit. */
export function noiseBin(n: ScanNoise | undefined): string {
  if (n?.validatedMaxHu === undefined) return UNKNOWN;
  return n.aboveValidated ? NOISE_BINS[1] : NOISE_BINS[0];
}

export function thicknessBin(t: number | null | undefined): string {
  if (t === null || t === undefined || !(t > 0)) return UNKNOWN;
  return t <= 1.25 ? '<=1.25 mm' : t <= 2.5 ? '<=2.5 mm' : '>2.5 mm';
}

interface Tally {
  nodules: Float64Array;
  detected: Float64Array;
  fps: Float64Array;
  inGroup: Uint8Array;
}

function tally(scans: number): Tally {
  return {
    nodules: new Float64Array(scans),
    detected: new Float64Array(scans),
    fps: new Float64Array(scans),
    inGroup: new Uint8Array(scans),
  };
}

function sum(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

function rowOf(
  group: string,
  t: Tally,
  basis: 'nodule' | 'scan',
  cohortScans: number,
  spec: BootstrapSpec,
): SubgroupRow {
  const nodules = sum(t.nodules);
  const detected = sum(t.detected);
  const falsePositives = sum(t.fps);
  let scans = 0;
  for (let s = 0; s < t.inGroup.length; s++) {
    if (basis === 'scan' ? t.inGroup[s] : (t.nodules[s] as number) > 0) scans++;
  }
  const ciNote = nodules > 0 ? intervalNote(nodules, scans) : null;
  let sensitivityCI95: [number, number] | null = null;
  if (nodules > 0 && ciNote === null) {
    sensitivityCI95 = bootstrapScans(
      cohortScans,
      {
        sensitivity: (w) => {
          let n = 0;
          let d = 0;
          for (let s = 0; s < w.length; s++) {
            n += (w[s] as number) * (t.nodules[s] as number);
            d += (w[s] as number) * (t.detected[s] as number);
          }
          return n > 0 ? d / n : null;
        },
      },
      spec,
    ).sensitivity;
  }
  const perScans = basis === 'scan' ? scans : cohortScans;
  return {
    group,
    scans,
    nodules,
    detected,
    sensitivity: nodules > 0 ? detected / nodules : null,
    sensitivityCI95,
    ciNote,
    falsePositives,
    fpPerScan: perScans > 0 ? falsePositives / perScans : null,
  };
}

/** Rows in a fixed order: the named groups always (a zero row says "none"), others as they occur. */
function ordered(groups: Map<string, Tally>, fixed: readonly string[]): string[] {
  const rest = [...groups.keys()].filter((g) => !fixed.includes(g) && g !== UNKNOWN).sort();
  return [...fixed, ...rest, ...(groups.has(UNKNOWN) ? [UNKNOWN] : [])];
}

export function computeSubgroups(
  records: readonly ScanRecord[],
  matches: readonly ScanMatch[],
  threshold: number | null,
  spec: BootstrapSpec,
): Subgroups {
  const n = matches.length;
  const above = (p: number | null): boolean => p !== null && threshold !== null && p >= threshold;
  const get = (m: Map<string, Tally>, k: string): Tally => {
    let t = m.get(k);
    if (!t) m.set(k, (t = tally(n)));
    return t;
  };
  const byNodule = (
    key: (nodule: ScanMatch['nodules'][number]['nodule']) => string,
    fpKey: (c: ScanMatch['candidates'][number]['candidate']) => string,
  ) => {
    const groups = new Map<string, Tally>();
    matches.forEach((m, s) => {
      for (const o of m.nodules) {
        const t = get(groups, key(o.nodule));
        t.nodules[s]! += 1;
        if (above(o.detectedProbability)) t.detected[s]! += 1;
        t.inGroup[s] = 1;
      }
      for (const c of m.candidates) {
        if (c.match.kind === 'FP' && above(c.candidate.probability))
          get(groups, fpKey(c.candidate)).fps[s]! += 1;
      }
    });
    return groups;
  };
  const byScan = (key: (info: ScanInfo | undefined, record: ScanRecord | undefined) => string) => {
    const groups = new Map<string, Tally>();
    matches.forEach((m, s) => {
      const t = get(groups, key(records[s]?.scan, records[s]));
      t.inGroup[s] = 1;
      for (const o of m.nodules) {
        t.nodules[s]! += 1;
        if (above(o.detectedProbability)) t.detected[s]! += 1;
      }
      t.fps[s]! += m.candidates.filter((c) => c.match.kind === 'FP' && above(c.candidate.probability)).length;
    });
    return groups;
  };
  const dimension = (
    name: string,
    basis: 'nodule' | 'scan',
    groups: Map<string, Tally>,
    fixed: readonly string[],
  ): SubgroupDimension => ({
    dimension: name,
    basis,
    rows: ordered(groups, fixed).map((g) => rowOf(g, groups.get(g) ?? tally(n), basis, n, spec)),
  });
  const text = (v: string | undefined): string => (v && v.trim() ? v.trim() : UNKNOWN);
  const dims: SubgroupDimension[] = [
    dimension(
      'nodule diameter',
      'nodule',
      byNodule(
        (x) => diameterBin(x.diameterMm),
        (c) => diameterBin(c.diameterMm),
      ),
      DIAMETER_BINS,
    ),
  ];
  // Nodule type only where the reference gives it (LIDC XML does, LUNA16's CSV does not).
  if (matches.some((m) => m.nodules.some((o) => o.nodule.type))) {
    dims.push(
      dimension(
        'nodule type',
        'nodule',
        byNodule(
          (x) => x.type ?? UNKNOWN,
          (c) => c.type ?? UNKNOWN,
        ),
        TYPES,
      ),
    );
  }
  dims.push(
    dimension(
      'slice thickness',
      'scan',
      byScan((i) => thicknessBin(i?.sliceThicknessMm)),
      THICKNESS_BINS,
    ),
    dimension(
      'manufacturer',
      'scan',
      byScan((i) => text(i?.manufacturer)),
      [],
    ),
    dimension(
      'reconstruction kernel',
      'scan',
      byScan((i) => text(i?.convolutionKernel)),
      [],
    ),
    dimension(
      'patient sex',
      'scan',
      byScan((i) => text(i?.patientSex)),
      [],
    ),
    dimension(
      'age band',
      'scan',
      byScan((i) => text(i?.ageBand)),
      [],
    ),
  );
  // Age bands in age order, not alphabetical.
  const age = dims[dims.length - 1]!;
  age.rows.sort((a, b) => rank(a.group) - rank(b.group));
  // Low-dose and noisy scans: only where the analyses measured noise against a validated limit.
  if (records.some((r) => r.noise?.validatedMaxHu !== undefined)) {
    dims.push(
      dimension(
        'image noise',
        'scan',
        byScan((_, r) => noiseBin(r?.noise)),
        NOISE_BINS,
      ),
    );
  }
  return { threshold, dimensions: dims };
}

function rank(band: string): number {
  const i = (AGE_BANDS as readonly string[]).indexOf(band);
  return i < 0 ? AGE_BANDS.length : i;
}

/** The subgroup table as fixed-width text for the console. */
export function subgroupTable(s: Subgroups): string {
  const f = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));
  const lines = [
    `subgroups at threshold ${f(s.threshold)}:`,
    'dimension               group                scans nodules detected sensitivity (95% CI)             FP/scan',
  ];
  for (const d of s.dimensions) {
    for (const r of d.rows) {
      const ci = r.sensitivityCI95
        ? ` (${f(r.sensitivityCI95[0])}-${f(r.sensitivityCI95[1])})`
        : r.ciNote
          ? ' (CI not meaningful)'
          : '';
      lines.push(
        `${d.dimension.padEnd(23)} ${r.group.slice(0, 20).padEnd(20)} ${String(r.scans).padStart(5)} ${String(r.nodules).padStart(7)} ${String(r.detected).padStart(8)} ${(f(r.sensitivity) + ci).padEnd(32)} ${f(r.fpPerScan)}`,
      );
    }
  }
  return lines.join('\n');
}
