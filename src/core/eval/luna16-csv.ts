/**
 * Readers for LUNA16's annotation CSVs (`seriesuid,coordX,coordY,coordZ,diameter_mm`, world mm in
 * DICOM patient LPS). Extra columns are allowed (the malignancy variant has them); a missing column,
 * a short row, a non-number or an unknown series is an ANNOTATIONS_INVALID error naming the line.
 */
import { basename } from 'node:path';
import { PulmoLensError } from '../../common/errors';
import type { Vec3 } from '../../common/volume';
import type { ExcludedMark, ReferenceNodule } from '../../common/eval';

export interface TextSource {
  /** Shown in errors and used in mark ids. */
  path: string;
  text: string;
}

export interface CsvReadOptions {
  /** When given, a row naming any other series is an error (--strict; see load-annotations). */
  knownSeries?: ReadonlySet<string>;
}

const REQUIRED = ['seriesuid', 'coordX', 'coordY', 'coordZ', 'diameter_mm'] as const;

interface Row {
  line: number;
  seriesuid: string;
  center: Vec3;
  diameter: number;
}

function invalid(src: TextSource, line: number, reason: string): PulmoLensError {
  return new PulmoLensError('ANNOTATIONS_INVALID', `line ${line}: ${reason}`, {
    path: src.path,
    details: { line },
  });
}

/** Splits one CSV line, honouring double quotes (the malignancy CSV quotes lists with commas). */
function splitCsvLine(line: string): string[] | null {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) return null;
  out.push(field);
  return out.map((f) => f.trim());
}

function parseNumber(src: TextSource, line: number, column: string, raw: string): number {
  // Number('') is 0 and Number('0x10') is 16: accept only plain decimal notation.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) {
    throw invalid(src, line, `${column} is not a number (${JSON.stringify(raw)})`);
  }
  return Number(raw);
}

function readRows(src: TextSource, opts: CsvReadOptions): Row[] {
  const lines = src.text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '');
  if (headerIndex < 0) throw invalid(src, 1, 'the file is empty (expected a header line)');
  const header = splitCsvLine(lines[headerIndex] ?? '');
  if (!header) throw invalid(src, headerIndex + 1, 'unbalanced quotes in the header');
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw invalid(
      src,
      headerIndex + 1,
      `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected ${REQUIRED.join(',')})`,
    );
  }
  const col = Object.fromEntries(REQUIRED.map((c) => [c, header.indexOf(c)])) as Record<
    (typeof REQUIRED)[number],
    number
  >;
  const rows: Row[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const text = lines[i] ?? '';
    if (text.trim() === '') continue;
    const line = i + 1;
    const fields = splitCsvLine(text);
    if (!fields) throw invalid(src, line, 'unbalanced quotes');
    if (fields.length < header.length) {
      throw invalid(src, line, `expected ${header.length} fields, found ${fields.length}`);
    }
    const seriesuid = fields[col.seriesuid] ?? '';
    if (seriesuid === '') throw invalid(src, line, 'seriesuid is empty');
    if (opts.knownSeries && !opts.knownSeries.has(seriesuid)) {
      throw invalid(src, line, `unknown series ${seriesuid} (not among the studies being evaluated)`);
    }
    const num = (c: (typeof REQUIRED)[number]): number => parseNumber(src, line, c, fields[col[c]] ?? '');
    rows.push({
      line,
      seriesuid,
      center: [num('coordX'), num('coordY'), num('coordZ')],
      diameter: num('diameter_mm'),
    });
  }
  return rows;
}

function pushTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** LUNA16 annotations.csv: every row is a nodule that counts, so its diameter must be positive. */
export function readLuna16Annotations(
  src: TextSource,
  opts: CsvReadOptions = {},
): Map<string, ReferenceNodule[]> {
  const out = new Map<string, ReferenceNodule[]>();
  for (const r of readRows(src, opts)) {
    if (!(r.diameter > 0)) throw invalid(src, r.line, `diameter_mm must be positive, found ${r.diameter}`);
    pushTo(out, r.seriesuid, {
      id: `${basename(src.path)}:${r.line}`,
      centerLps: r.center,
      diameterMm: r.diameter,
    });
  }
  return out;
}

/** LUNA16 annotations_excluded.csv: diameter -1 (any negative) means "not given". */
export function readLuna16Excluded(src: TextSource, opts: CsvReadOptions = {}): Map<string, ExcludedMark[]> {
  const out = new Map<string, ExcludedMark[]>();
  for (const r of readRows(src, opts)) {
    if (r.diameter === 0) throw invalid(src, r.line, 'diameter_mm is 0 (use -1 for "not given")');
    pushTo(out, r.seriesuid, {
      id: `${basename(src.path)}:${r.line}`,
      centerLps: r.center,
      diameterMm: r.diameter < 0 ? null : r.diameter,
    });
  }
  return out;
}
