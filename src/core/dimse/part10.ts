/**
 * Wraps a dataset received over DIMSE (bytes exactly as the peer encoded them, in the negotiated
 * transfer syntax) in a DICOM Part 10 file in memory: preamble, DICM and a file meta group that
 * records who sent it (Source AE Title). Nothing is re-encoded, so pixels stay bit-identical.
 */
import { IMPLEMENTATION_CLASS_UID } from '../report/dcmjs-writer';

export interface ReceivedInstance {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  sourceAeTitle: string;
  dataset: Uint8Array;
}

function element(group: number, elem: number, vr: string, value: Uint8Array): Uint8Array {
  const long = vr === 'OB';
  const out = new Uint8Array((long ? 12 : 8) + value.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, group, true);
  dv.setUint16(2, elem, true);
  out[4] = vr.charCodeAt(0);
  out[5] = vr.charCodeAt(1);
  if (long) dv.setUint32(8, value.length, true);
  else dv.setUint16(6, value.length, true);
  out.set(value, long ? 12 : 8);
  return out;
}

/** A UI value padded with NUL, or a text value padded with a space, to even length. */
function text(s: string, pad: string): Uint8Array {
  return new TextEncoder().encode(s.length % 2 ? s + pad : s);
}

export function toPart10(r: ReceivedInstance): Uint8Array {
  const meta = [
    element(0x0002, 0x0001, 'OB', Uint8Array.of(0, 1)),
    element(0x0002, 0x0002, 'UI', text(r.sopClassUid, '\0')),
    element(0x0002, 0x0003, 'UI', text(r.sopInstanceUid, '\0')),
    element(0x0002, 0x0010, 'UI', text(r.transferSyntaxUid, '\0')),
    element(0x0002, 0x0012, 'UI', text(IMPLEMENTATION_CLASS_UID, '\0')),
    element(0x0002, 0x0013, 'SH', text('PULMOLENS', ' ')),
    element(0x0002, 0x0016, 'AE', text(r.sourceAeTitle, ' ')),
  ];
  const metaLength = meta.reduce((n, e) => n + e.length, 0);
  const groupLength = new Uint8Array(4);
  new DataView(groupLength.buffer).setUint32(0, metaLength, true);
  const parts = [
    new Uint8Array(128),
    new TextEncoder().encode('DICM'),
    element(0x0002, 0x0000, 'UL', groupLength),
  ];
  parts.push(...meta, r.dataset);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
