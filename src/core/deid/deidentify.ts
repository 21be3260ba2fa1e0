/**
 * De-identification of one DICOM instance per PS3.15 Annex E, Basic Application Level
 * Confidentiality Profile (the table in ./profile-table), with one of three date options.
 * Works on dcmjs's tag-keyed dataset; pixel data is never touched. All identifiers that must stay
 * linkable (UIDs, the patient pseudonym) come from an HMAC keyed with a secret that lives only for
 * one export, so the same input UID maps to the same output UID within the export and to an
 * unrelated one in the next.
 */
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import { PulmoLensError } from '../../common/errors';
import { PROFILE_BY_TAG, isRepeatingGroupRemoval, type ProfileAction } from './profile-table';

export type DateOption = 'remove' | 'shift' | 'keep';
export const DATE_OPTIONS: readonly DateOption[] = ['remove', 'shift', 'keep'];

export interface DeidSession {
  readonly dates: DateOption;
  /** Whole days added to every date when dates are shifted (negative: into the past). */
  readonly shiftDays: number;
  readonly secret: Uint8Array;
}

interface Element {
  vr: string;
  Value?: unknown[];
  InlineBinary?: unknown;
}
export type DcmjsDataset = Record<string, Element>;

interface DcmjsDict {
  meta: DcmjsDataset;
  dict: DcmjsDataset;
  write(options?: Record<string, unknown>): ArrayBuffer;
}
interface DcmjsApi {
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DcmjsDict };
    DicomDict: new (meta: DcmjsDataset) => DcmjsDict;
  };
}
// dcmjs ships no type declarations; this is the slice of its API used here.
const dcmjs = createRequire(import.meta.url)('dcmjs') as DcmjsApi;

/** A new export: fresh secret, and (for "shift") a random offset of 1 to 10 years back. */
export function newDeidSession(
  dates: DateOption,
  opts: { shiftDays?: number; secret?: Uint8Array } = {},
): DeidSession {
  return {
    dates,
    shiftDays: opts.shiftDays ?? -randomInt(365, 3653),
    secret: opts.secret ?? new Uint8Array(randomBytes(32)),
  };
}

/** 2.25.<128-bit decimal> from the HMAC of the original UID (PS3.5 B.2 UUID-derived form). */
export function remapUid(session: DeidSession, uid: string): string {
  const h = createHmac('sha256', session.secret).update(`uid:${uid.trim()}`).digest();
  let n = 0n;
  for (let i = 0; i < 16; i++) n = (n << 8n) | BigInt(h[i]!);
  return `2.25.${n.toString()}`;
}

/** A stable pseudonym for a patient within one export. */
export function pseudonym(session: DeidSession, patientId: string): string {
  const h = createHmac('sha256', session.secret).update(`patient:${patientId.trim()}`).digest('hex');
  return `ANON-${h.slice(0, 10).toUpperCase()}`;
}

const DAY_MS = 86_400_000;

function shiftDa(value: string, days: number): string {
  const m = /^(\d{4})(\d{2})(\d{2})(.*)$/.exec(value.trim());
  if (!m) return '';
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + days * DAY_MS;
  const d = new Date(t);
  const p = (v: number, w: number) => String(v).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1, 2)}${p(d.getUTCDate(), 2)}${m[4] ?? ''}`;
}

/** Shifts a DA or DT value by whole days; a DT with only a year or a month keeps its precision. */
export function shiftDate(vr: 'DA' | 'DT', value: string, days: number): string {
  const v = value.trim();
  if (v === '') return v;
  if (vr === 'DT' && /^\d{4}(\d{2})?$/.test(v)) {
    const full = shiftDa(`${v}${v.length === 4 ? '0101' : '01'}`, days);
    return full.slice(0, v.length);
  }
  return shiftDa(v, days);
}

// Dates the Retain Longitudinal option does not cover: they describe the patient, not the timeline.
const PATIENT_DATES = new Set(['00100030', '00100032', '001021D0', '00100033', '00100034']);
const DATE_VRS = new Set(['DA', 'DT']);

const DUMMY_TEXT = 'ANONYMIZED';

function dummy(el: Element): unknown[] {
  switch (el.vr) {
    case 'PN':
      return [{ Alphabetic: DUMMY_TEXT }];
    case 'DA':
      return ['19000101'];
    case 'DT':
      return ['19000101000000'];
    case 'TM':
      return ['000000'];
    case 'IS':
    case 'DS':
      return ['0'];
    case 'AS':
      return ['000Y'];
    case 'UI':
      return [];
    case 'CS':
      return ['ANONYMIZED'];
    case 'SH':
    case 'LO':
    case 'ST':
    case 'LT':
    case 'UT':
    case 'UC':
      return [DUMMY_TEXT];
    default:
      return [];
  }
}

type Resolved = 'X' | 'Z' | 'D' | 'U' | 'K' | 'RECURSE';

function resolve(action: ProfileAction, vr: string): Resolved {
  switch (action) {
    case 'C':
    case 'X':
      return 'X';
    case 'X/D':
      return 'X';
    case 'X/Z':
    case 'Z/D':
    case 'X/Z/D':
    case 'Z':
      return 'Z';
    case 'D':
      // A dummy sequence is the original one with its items de-identified.
      return vr === 'SQ' ? 'RECURSE' : 'D';
    case 'X/Z/U*':
      return vr === 'SQ' ? 'RECURSE' : vr === 'UI' ? 'U' : 'Z';
    case 'U':
      return 'U';
    case 'K':
      return 'K';
  }
}

function isPrivate(tag: string): boolean {
  return (Number.parseInt(tag.slice(0, 4), 16) & 1) === 1;
}

/** De-identifies a dataset (or a sequence item) in place, recursing into sequences. */
export function deidentifyDataset(ds: DcmjsDataset, session: DeidSession): void {
  for (const tag of Object.keys(ds)) {
    const el = ds[tag]!;
    const upper = tag.toUpperCase();
    if (isPrivate(upper) || isRepeatingGroupRemoval(upper) || upper.startsWith('0000')) {
      delete ds[tag];
      continue;
    }
    const row = PROFILE_BY_TAG.get(upper);
    const isDate = DATE_VRS.has(el.vr) && !PATIENT_DATES.has(upper);
    if (isDate && session.dates === 'keep') continue;
    if (isDate && session.dates === 'shift' && row?.action !== 'U') {
      el.Value = (el.Value ?? []).map((v) => shiftDate(el.vr as 'DA' | 'DT', String(v), session.shiftDays));
      delete (el as { _rawValue?: unknown })._rawValue;
      continue;
    }
    if (el.vr === 'TM' && session.dates !== 'remove' && row) continue;
    if (!row) {
      // Dates the table does not list still date the patient's history: drop them too.
      if (isDate && session.dates === 'remove') {
        delete ds[tag];
        continue;
      }
      if (el.vr === 'SQ') {
        for (const item of (el.Value ?? []) as DcmjsDataset[]) deidentifyDataset(item, session);
      }
      continue;
    }
    const action = resolve(row.action, el.vr);
    switch (action) {
      case 'X':
        delete ds[tag];
        break;
      case 'Z':
        ds[tag] = { vr: el.vr, Value: [] };
        break;
      case 'D':
        ds[tag] = { vr: el.vr, Value: dummy(el) };
        break;
      case 'U':
        ds[tag] = {
          vr: el.vr,
          Value: (el.Value ?? []).map((v) => (String(v).trim() === '' ? '' : remapUid(session, String(v)))),
        };
        break;
      case 'RECURSE':
        for (const item of (el.Value ?? []) as DcmjsDataset[]) deidentifyDataset(item, session);
        break;
      case 'K':
        break;
    }
  }
}

const CODE_SEQUENCE_ITEM = (value: string, meaning: string): DcmjsDataset => ({
  '00080100': { vr: 'SH', Value: [value] },
  '00080102': { vr: 'SH', Value: ['DCM'] },
  '00080104': { vr: 'LO', Value: [meaning] },
});

/** The method record PS3.15 E.1.1 asks for, plus the longitudinal-dates flag of PS3.3 C.7.6.1. */
function recordMethod(ds: DcmjsDataset, session: DeidSession): void {
  const codes = [CODE_SEQUENCE_ITEM('113100', 'Basic Application Confidentiality Profile')];
  if (session.dates === 'shift') {
    codes.push(
      CODE_SEQUENCE_ITEM('113107', 'Retain Longitudinal Temporal Information Modified Dates Option'),
    );
  } else if (session.dates === 'keep') {
    codes.push(CODE_SEQUENCE_ITEM('113106', 'Retain Longitudinal Temporal Information Full Dates Option'));
  }
  ds['00120062'] = { vr: 'CS', Value: ['YES'] };
  ds['00120063'] = {
    vr: 'LO',
    Value: [`PulmoLens PS3.15 E.1 Basic Profile; dates ${session.dates}`],
  };
  ds['00120064'] = { vr: 'SQ', Value: codes };
  ds['00280303'] = {
    vr: 'CS',
    Value: [session.dates === 'keep' ? 'UNMODIFIED' : session.dates === 'shift' ? 'MODIFIED' : 'REMOVED'],
  };
}

export interface DeidentifiedInstance {
  bytes: Uint8Array;
  sopInstanceUid: string;
  seriesInstanceUid: string;
}

/** Reads one DICOM file, de-identifies it and writes it back (same transfer syntax). */
export function deidentifyBytes(bytes: Uint8Array, session: DeidSession, path: string): DeidentifiedInstance {
  // dcmjs inflates deflated files only in some environments and never re-deflates them: refuse
  // them up front so an export behaves the same everywhere (the transfer syntax sits in the meta).
  if (/1\.2\.840\.10008\.1\.2\.1\.99(?![\d.])/.test(Buffer.from(bytes.subarray(0, 400)).toString('latin1'))) {
    throw new PulmoLensError(
      'DICOM_UNSUPPORTED_TRANSFER_SYNTAX',
      'deflated transfer syntax is not supported for de-identification',
      { path },
    );
  }
  let file: DcmjsDict;
  try {
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    file = dcmjs.data.DicomMessage.readFile(buf, { ignoreErrors: false });
  } catch (cause) {
    throw new PulmoLensError(
      'DICOM_MALFORMED',
      `cannot parse for de-identification: ${(cause as Error).message}`,
      {
        path,
        cause,
      },
    );
  }
  const ds = file.dict;
  const patientId = String(ds['00100020']?.Value?.[0] ?? '');
  deidentifyDataset(ds, session);
  // Z for name and ID would break the link between series of one patient; a pseudonym keeps it.
  const alias = pseudonym(session, patientId);
  ds['00100010'] = { vr: 'PN', Value: [{ Alphabetic: alias }] };
  ds['00100020'] = { vr: 'LO', Value: [alias] };
  recordMethod(ds, session);

  const meta: DcmjsDataset = {};
  for (const [tag, el] of Object.entries(file.meta)) {
    const t = tag.toUpperCase();
    if (t === '00020016' || t === '00020100' || t === '00020102' || t === '00020000') continue;
    meta[tag] = el;
  }
  const sop = String(ds['00080018']?.Value?.[0] ?? '');
  meta['00020003'] = { vr: 'UI', Value: [sop] };
  const out = new dcmjs.data.DicomDict(meta);
  out.dict = ds;
  let written: ArrayBuffer;
  try {
    written = out.write({ fragmentMultiframe: false });
  } catch (cause) {
    throw new PulmoLensError(
      'DICOM_MALFORMED',
      `cannot write the de-identified copy: ${(cause as Error).message}`,
      {
        path,
        cause,
      },
    );
  }
  return {
    bytes: new Uint8Array(written),
    sopInstanceUid: sop,
    seriesInstanceUid: String(ds['0020000E']?.Value?.[0] ?? ''),
  };
}
