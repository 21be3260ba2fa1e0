import { open, readFile } from 'node:fs/promises';
import { PulmoLensError, type ErrorCode } from '../../common/errors';
import type { Vec3 } from '../../common/volume';
import { collectFiles } from './collect-files';
import { dicomDirFiles } from './dicomdir';
import { parseInstance, type InstanceHeader } from './parse-instance';
import { directionFrom, dot, layoutSlices, stackKey } from './series-geometry';
import type { DirectFrame, FrameRef, ScanResult, ScannedSeries, SkippedFile, TaskOptions } from './types';

/** Files larger than this are not read (no CT slice or enhanced CT series comes close). */
const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024 - 1;

export function toSkipped(path: string, e: unknown): SkippedFile {
  if (e instanceof PulmoLensError) return { path: e.path ?? path, code: e.code, reason: e.message };
  const code: ErrorCode = 'DICOM_MALFORMED';
  const msg = e instanceof Error ? e.message : String(e);
  return { path, code, reason: `cannot read: ${msg}` };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PulmoLensError('CANCELLED', 'import cancelled');
}

/** Headers of CT files are a few kB; reading this much first avoids reading pixel data twice. */
const HEADER_PROBE_BYTES = 64 * 1024;

/**
 * Reads and parses one file's header; the pixel data is not read here when the header fits in
 * the first 64 kB (else, or for deflated/encapsulated files, the whole file is parsed).
 */
export async function readHeader(path: string): Promise<InstanceHeader> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size > MAX_FILE_BYTES) {
      throw new PulmoLensError('DICOM_MALFORMED', `file is ${size} bytes, larger than any CT object`, {
        path,
      });
    }
    if (size > HEADER_PROBE_BYTES) {
      const probe = Buffer.allocUnsafe(HEADER_PROBE_BYTES);
      const { bytesRead } = await fh.read(probe, 0, HEADER_PROBE_BYTES, 0);
      try {
        const h = parseInstance(probe.subarray(0, bytesRead), path, { fileSize: size }).header;
        if (h.pixelDataInFile) return h;
      } catch {
        // Header longer than the probe, or damaged: the full parse below gives the real answer.
      }
    }
    const bytes = await fh.readFile();
    return parseInstance(bytes, path).header;
  } finally {
    await fh.close();
  }
}

interface PlacedFrame {
  header: InstanceHeader;
  frame: number;
}

/**
 * Scans inputs (folders, files, DICOMDIRs) and groups images into series: one SeriesInstanceUID
 * that mixes sizes or orientations is split into several stacks; frames are sorted along the
 * slice normal by ImagePositionPatient, never by file name or InstanceNumber alone.
 */
export async function scanDicomInputs(inputs: string[], opts: TaskOptions = {}): Promise<ScanResult> {
  const skipped: SkippedFile[] = [];
  const { files, dicomDirs } = await collectFiles(inputs, skipped);
  const all = new Set(files);
  for (const dd of dicomDirs) {
    try {
      for (const f of dicomDirFiles(await readFile(dd), dd)) all.add(f);
    } catch (e) {
      skipped.push(toSkipped(dd, e));
    }
  }
  const paths = [...all];
  const headers: InstanceHeader[] = [];
  let done = 0;
  // Small concurrency: overlaps disk reads with parsing without holding many files in memory.
  const queue = paths.slice();
  const workers = Array.from({ length: Math.min(8, queue.length) }, async () => {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      throwIfAborted(opts.signal);
      try {
        headers.push(await readHeader(p));
      } catch (e) {
        if (e instanceof PulmoLensError && e.code === 'CANCELLED') throw e;
        skipped.push(toSkipped(p, e));
      }
      done += 1;
      opts.onProgress?.({ done, total: paths.length, stage: 'scanning' });
    }
  });
  await Promise.all(workers);
  const series = groupSeries(headers, skipped);
  skipped.sort((a, b) => a.path.localeCompare(b.path));
  return { series, skipped };
}

/** Groups parsed headers into sorted, placed series. Frames that cannot be placed are skipped. */
export function groupSeries(headers: InstanceHeader[], skipped: SkippedFile[]): ScannedSeries[] {
  const byStack = new Map<string, Map<string, PlacedFrame[]>>();
  for (const h of headers) {
    const uid = h.metadata.seriesInstanceUid || `(no SeriesInstanceUID) ${h.path}`;
    const stacks = byStack.get(uid) ?? new Map<string, PlacedFrame[]>();
    byStack.set(uid, stacks);
    h.frames.forEach((f, frame) => {
      const key = stackKey(h.rows, h.columns, f);
      const list = stacks.get(key) ?? [];
      list.push({ header: h, frame });
      stacks.set(key, list);
    });
  }
  const out: ScannedSeries[] = [];
  for (const [uid, stacks] of byStack) {
    // Largest stack first keeps the plain UID; the rest get a suffix.
    const ordered = [...stacks.values()].sort((a, b) => b.length - a.length);
    ordered.forEach((frames, idx) => {
      const s = buildSeries(uid, idx === 0 ? uid : `${uid}#${idx + 1}`, frames, skipped);
      if (!s) return;
      if (ordered.length > 1) {
        s.warnings.unshift(
          `series ${uid} mixes ${ordered.length} image sizes/orientations; split into separate stacks (this is stack ${idx + 1})`,
        );
      }
      out.push(s);
    });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

function directFrame(p: PlacedFrame): { direct?: DirectFrame } {
  const h = p.header;
  if (!h.pixelDataInFile) return {};
  const frameLength = h.rows * h.columns * (h.bitsAllocated / 8);
  const fh = h.frames[p.frame]!;
  return {
    direct: {
      offset: h.pixelDataInFile.offset + p.frame * frameLength,
      length: frameLength,
      littleEndian: h.codec === 'native-le',
      bitsAllocated: h.bitsAllocated as 8 | 16,
      bitsStored: h.bitsStored,
      pixelRepresentation: h.pixelRepresentation,
      slope: fh.slope,
      intercept: fh.intercept,
      paddingValue: h.paddingValue,
      paddingRangeLimit: h.paddingRangeLimit,
    },
  };
}

function buildSeries(
  uid: string,
  key: string,
  placed: PlacedFrame[],
  skipped: SkippedFile[],
): ScannedSeries | null {
  const warnings: string[] = [];
  const first = placed[0]!;
  const f0 = first.header.frames[first.frame]!;
  const direction = directionFrom(f0.orientation);
  const normal: Vec3 = [direction[6], direction[7], direction[8]];
  const modality = first.header.metadata.modality;
  if (modality && modality !== 'CT')
    warnings.push(`modality ${modality}: pixel values are not Hounsfield units`);
  if (!f0.orientation) warnings.push('no ImageOrientationPatient: assumed axial (row +x, column +y)');

  // Duplicate SOP instances (the same file twice in a folder) are dropped.
  const seen = new Set<string>();
  let frames = placed.filter((p) => {
    const id = `${p.header.sopInstanceUid}|${p.frame}`;
    if (p.header.sopInstanceUid && seen.has(id)) {
      skipped.push({
        path: p.header.path,
        code: 'SERIES_INCONSISTENT',
        reason: 'duplicate SOP instance; ignored',
      });
      return false;
    }
    seen.add(id);
    return true;
  });

  const withPos = frames.filter((p) => p.header.frames[p.frame]!.positionLps);
  let ordered: { p: PlacedFrame; pos: Vec3; along: number }[];
  if (withPos.length === frames.length) {
    ordered = frames.map((p) => {
      const pos = p.header.frames[p.frame]!.positionLps!;
      return { p, pos, along: dot(pos, normal) };
    });
    ordered.sort((a, b) => a.along - b.along);
  } else {
    if (withPos.length > 0) {
      for (const p of frames.filter((x) => !x.header.frames[x.frame]!.positionLps)) {
        skipped.push({
          path: p.header.path,
          code: 'SERIES_INCONSISTENT',
          reason: 'no ImagePositionPatient while the rest of the series has one; slice cannot be placed',
        });
      }
      frames = withPos;
      return buildSeries(uid, key, frames, skipped);
    }
    warnings.push(
      'no ImagePositionPatient: slices ordered by InstanceNumber, spacing taken from SliceThickness',
    );
    const byNumber = [...frames].sort(
      (a, b) => (a.header.instanceNumber ?? 0) - (b.header.instanceNumber ?? 0) || a.frame - b.frame,
    );
    const thick = f0.sliceThicknessMm ?? 1;
    ordered = byNumber.map((p, i) => ({
      p,
      pos: [normal[0] * i * thick, normal[1] * i * thick, normal[2] * i * thick] as Vec3,
      along: i * thick,
    }));
  }

  // Same position twice (e.g. two acquisitions under one UID) cannot be stacked.
  const dedup: typeof ordered = [];
  for (const o of ordered) {
    const prev = dedup[dedup.length - 1];
    if (
      prev &&
      Math.abs(o.along - prev.along) < 1e-3 &&
      ordered.length > 1 &&
      withPos.length === frames.length
    ) {
      skipped.push({
        path: o.p.header.path,
        code: 'SERIES_INCONSISTENT',
        reason: `second image at slice position ${o.along.toFixed(2)} mm; kept the first one`,
      });
      continue;
    }
    dedup.push(o);
  }
  ordered = dedup;

  const layout = layoutSlices(
    ordered.map((o) => o.along),
    f0.sliceThicknessMm,
  );
  warnings.push(...layout.warnings);

  if (ordered.length > 1) {
    // Gantry tilt: positions step off the normal. The grid keeps the normal as slice axis and
    // loadSeries shifts each slice onto it (gantry-tilt.ts).
    const a = ordered[0]!.pos;
    const b = ordered[ordered.length - 1]!.pos;
    const d: Vec3 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    const len = Math.hypot(...d);
    const cos = Math.abs(dot(d, normal)) / (len || 1);
    if (len > 0 && cos < 0.9999) {
      warnings.push(
        `slice positions are not along the slice normal (gantry tilt of ${((Math.acos(Math.min(1, cos)) * 180) / Math.PI).toFixed(1)}°); each slice is shifted in its plane onto a grid perpendicular to the slices`,
      );
    }
  }

  const h0 = first.header;
  const spacingRow = f0.pixelSpacing?.[0] ?? 1;
  const spacingCol = f0.pixelSpacing?.[1] ?? 1;
  if (!f0.pixelSpacing) warnings.push('no PixelSpacing: 1 mm assumed; measurements are not in true mm');

  const frameRefs: FrameRef[] = ordered.map((o, i) => ({
    path: o.p.header.path,
    frame: o.p.frame,
    sopInstanceUid: o.p.header.sopInstanceUid,
    instanceNumber: o.p.header.instanceNumber,
    positionLps: o.pos,
    slot: layout.slots[i]!,
    ...directFrame(o.p),
  }));
  const tsSet = new Set(ordered.map((o) => o.p.header.transferSyntaxUid));
  return {
    key,
    metadata: { ...h0.metadata, seriesInstanceUid: h0.metadata.seriesInstanceUid || uid },
    rows: h0.rows,
    columns: h0.columns,
    frames: frameRefs,
    slices: layout.slices,
    spacingMm: [spacingCol, spacingRow, layout.spacing],
    originLps: ordered[0]!.pos,
    direction,
    transferSyntaxes: [...tsSet].sort(),
    warnings,
  };
}
