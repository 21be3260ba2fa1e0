/**
 * Reads the reference standard from files (LUNA16 CSVs and/or LIDC-IDRI reader XML) into one index
 * per series, and fingerprints the inputs so metrics.json says exactly what it was scored against.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PulmoLensError } from '../../common/errors';
import { DEFAULT_MIN_READERS, lidcSeriesUid, readLidcXml, type SeriesGeometry } from './lidc-xml';
import { readLuna16Annotations, readLuna16Excluded, type TextSource } from './luna16-csv';
import type { AnnotationIndex, ScanAnnotations } from '../../common/eval';

/** A CSV given as text (picked in the app's page) rather than as a path; `name` names it in errors. */
export interface InlineCsv {
  name: string;
  text: string;
}

export interface AnnotationInputs {
  annotationsCsv?: string | InlineCsv;
  excludedCsv?: string | InlineCsv;
  lidcXml?: string[];
  /** Readers who must have marked a >= 3 mm nodule for it to count (LIDC XML only). */
  minReaders?: number;
  /**
   * The series found among the studies. Annotations for other series are left out (a LUNA16 file
   * covers 888 scans, a site has a few) and counted in `annotatedSeries`...
   */
  knownSeries?: ReadonlySet<string>;
  /** ...unless this is set: then they are an error naming the file and line. */
  strict?: boolean;
  /** Geometry of an evaluated series, needed to place LIDC pixel marks in world mm. */
  geometryOf?: (seriesInstanceUid: string) => SeriesGeometry | undefined;
}

export interface LoadedAnnotations {
  index: AnnotationIndex;
  /** sha256 of the input files' bytes in order (CSV, excluded CSV, XML by path): for one file, its sha256sum. */
  sha256: string;
  /** Every series the reference files name, found among the studies or not (sorted). */
  annotatedSeries: string[];
}

async function readSource(input: string | InlineCsv): Promise<{ src: TextSource; bytes: Buffer }> {
  if (typeof input !== 'string') {
    return { src: { path: input.name, text: input.text }, bytes: Buffer.from(input.text, 'utf8') };
  }
  const path = input;
  try {
    const bytes = await readFile(path);
    return { src: { path, text: bytes.toString('utf8') }, bytes };
  } catch (cause) {
    throw new PulmoLensError('ANNOTATIONS_INVALID', `cannot read annotations: ${(cause as Error).message}`, {
      path,
      cause,
    });
  }
}

function entry(index: AnnotationIndex, uid: string): ScanAnnotations {
  let e = index.get(uid);
  if (!e) {
    e = { nodules: [], excluded: [] };
    index.set(uid, e);
  }
  return e;
}

export async function loadAnnotations(inputs: AnnotationInputs): Promise<LoadedAnnotations> {
  const hash = createHash('sha256');
  const index: AnnotationIndex = new Map();
  const annotated = new Set<string>();
  const known = inputs.knownSeries;
  // Strict: the reader names the first row of an unknown series. Otherwise every row is read, so the
  // series that are not here can be counted, and only the known ones are kept.
  const csvOpts = inputs.strict ? { knownSeries: known } : {};
  const keep = <T>(rows: Map<string, T[]>): [string, T[]][] => {
    for (const uid of rows.keys()) annotated.add(uid);
    return [...rows].filter(([uid]) => !known || known.has(uid));
  };
  if (!inputs.annotationsCsv && !inputs.lidcXml?.length) {
    throw new PulmoLensError(
      'ANNOTATIONS_INVALID',
      'no annotations given (a LUNA16 CSV or LIDC-IDRI XML files)',
    );
  }
  if (inputs.annotationsCsv) {
    const { src, bytes } = await readSource(inputs.annotationsCsv);
    hash.update(bytes);
    for (const [uid, nodules] of keep(readLuna16Annotations(src, csvOpts)))
      entry(index, uid).nodules.push(...nodules);
  }
  if (inputs.excludedCsv) {
    const { src, bytes } = await readSource(inputs.excludedCsv);
    hash.update(bytes);
    for (const [uid, marks] of keep(readLuna16Excluded(src, csvOpts)))
      entry(index, uid).excluded.push(...marks);
  }
  for (const path of [...(inputs.lidcXml ?? [])].sort()) {
    const { src, bytes } = await readSource(path);
    hash.update(bytes);
    const uid = lidcSeriesUid(src);
    annotated.add(uid);
    if (known && !known.has(uid)) {
      if (!inputs.strict) continue;
      throw new PulmoLensError(
        'ANNOTATIONS_INVALID',
        `unknown series ${uid} (not among the studies being evaluated)`,
        {
          path,
        },
      );
    }
    const geometry = inputs.geometryOf?.(uid);
    if (!geometry) {
      throw new PulmoLensError(
        'ANNOTATIONS_INVALID',
        `series ${uid} was not found among the studies, so its pixel marks cannot be placed`,
        { path },
      );
    }
    const lidc = readLidcXml(src, geometry, { minReaders: inputs.minReaders ?? DEFAULT_MIN_READERS });
    const e = entry(index, uid);
    e.nodules.push(...lidc.nodules);
    e.excluded.push(...lidc.excluded);
  }
  return { index, sha256: hash.digest('hex'), annotatedSeries: [...annotated].sort() };
}
