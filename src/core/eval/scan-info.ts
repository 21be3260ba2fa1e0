/**
 * The DICOM header facts the bias audit groups by, reduced to what the subgroup needs (an age
 * band, not an age or a birth date).
 */
import type { ScanInfo } from '../../common/eval';
import type { SeriesMetadata } from '../../common/dicom';

/** Years from a DICOM AS value ("065Y", "030M", "012W", "100D"); null when absent or malformed. */
export function ageYearsFromAs(as: string): number | null {
  const m = /^(\d{3})([DWMY])$/.exec(as.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const perYear = { D: 365.25, W: 52.18, M: 12, Y: 1 }[m[2] as 'D' | 'W' | 'M' | 'Y'];
  return n / perYear;
}

/** Whole years between two DICOM DA dates (YYYYMMDD); null when either is absent or malformed. */
export function ageYearsFromDates(birth: string, at: string): number | null {
  const p = (d: string): [number, number, number] | null => {
    const m = /^(\d{4})(\d{2})(\d{2})$/.exec(d.trim());
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
  };
  const b = p(birth);
  const a = p(at);
  if (!b || !a) return null;
  const years = a[0] - b[0] - (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2]) ? 1 : 0);
  return years >= 0 && years < 150 ? years : null;
}

export const AGE_BANDS = ['<40', '40-49', '50-59', '60-69', '70-79', '>=80'] as const;

export function ageBand(years: number | null): string {
  if (years === null) return '';
  if (years < 40) return '<40';
  if (years >= 80) return '>=80';
  const lo = Math.floor(years / 10) * 10;
  return `${lo}-${lo + 9}`;
}

export function scanInfoOf(m: SeriesMetadata): ScanInfo {
  const sex = m.patientSex.trim().toUpperCase();
  return {
    sliceThicknessMm: m.sliceThicknessMm,
    manufacturer: m.manufacturer.trim(),
    convolutionKernel: m.convolutionKernel.trim(),
    patientSex: ['M', 'F', 'O'].includes(sex) ? sex : '',
    ageBand: ageBand(
      ageYearsFromAs(m.patientAge) ?? ageYearsFromDates(m.patientBirthDate, m.studyDate || m.seriesDate),
    ),
  };
}
