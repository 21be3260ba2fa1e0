/**
 * Marker-segment hygiene for JPEG lossless streams before they reach the decoder.
 *
 * ITU-T T.81 B.2.4 lets a stream carry any table/miscellaneous segment (APPn, COM, DQT, DHT, DRI,
 * EXP, JPGn, reserved) between SOI and the frame header and between the frame header and SOS, and
 * any marker may be preceded by 0xFF fill bytes (B.1.1.2). The JS lossless decoder knows only a
 * subset and rejects the rest, so foreign segments are dropped here. Only the header is rewritten;
 * the entropy-coded data is copied as is, and a stream that needs nothing is returned untouched.
 */

const SOI = 0xd8;
const SOS = 0xda;
const DHT = 0xc4;
const DRI = 0xdd;

/** Segments the decoder parses itself; everything else before SOS is dropped. */
function decoderReads(marker: number): boolean {
  if (marker === DHT || marker === DRI) return true;
  return isFrameHeader(marker);
}

/** SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
function isFrameHeader(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== DHT && marker !== 0xc8 && marker !== 0xcc;
}

/** Markers that stand alone, without a length field (T.81 Table B.1). */
function isStandalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

export function stripForeignJpegSegments(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== SOI) {
    const found = bytes.length >= 2 ? `0x${((bytes[0]! << 8) | bytes[1]!).toString(16)}` : 'nothing';
    throw new Error(`JPEG stream does not start with SOI (0xffd8); found ${found}`);
  }
  const kept: Uint8Array[] = [bytes.subarray(0, 2)];
  let changed = false;
  let p = 2;
  let sawFrame = false;
  for (;;) {
    if (p >= bytes.length) throw new Error('JPEG stream ends before the start of scan (SOS)');
    if (bytes[p] !== 0xff) {
      throw new Error(`JPEG stream: expected a marker at byte ${p}, found 0x${bytes[p]!.toString(16)}`);
    }
    // Fill bytes: a run of 0xFF before the marker code.
    let q = p + 1;
    while (q < bytes.length && bytes[q] === 0xff) q += 1;
    if (q >= bytes.length) throw new Error('JPEG stream ends inside fill bytes');
    if (q !== p + 1) changed = true;
    const marker = bytes[q]!;
    if (marker === 0x00) throw new Error(`JPEG stream: stuffed byte where a marker belongs at byte ${p}`);
    if (isStandalone(marker)) {
      changed = true;
      p = q + 1;
      continue;
    }
    if (q + 2 >= bytes.length) throw new Error(`JPEG stream ends inside marker 0xff${marker.toString(16)}`);
    const length = (bytes[q + 1]! << 8) | bytes[q + 2]!;
    const end = q + 1 + length;
    if (length < 2 || end > bytes.length) {
      throw new Error(
        `JPEG marker 0xff${marker.toString(16)} at byte ${p} has length ${length} past the end`,
      );
    }
    if (marker === SOS) {
      if (!sawFrame) throw new Error('JPEG stream has a start of scan (SOS) before any frame header (SOF)');
      if (!changed) return bytes;
      kept.push(bytes.subarray(q - 1));
      return concat(kept);
    }
    if (isFrameHeader(marker)) sawFrame = true;
    if (decoderReads(marker)) kept.push(bytes.subarray(q - 1, end));
    else changed = true;
    p = end;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of parts) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}
