import type { Sex } from './brock';

/**
 * Age in years from the DICOM PatientAge (AS, e.g. "065Y", "006M") or, when that is empty, from
 * PatientBirthDate and StudyDate (DA, YYYYMMDD). Null when neither gives a plausible age.
 */
export function patientAgeYears(patientAge: string, birthDate = '', studyDate = ''): number | null {
  const m = /^\s*(\d{1,3})\s*([DWMY])?\s*$/i.exec(patientAge);
  if (m) {
    const n = Number(m[1]);
    const unit = (m[2] ?? 'Y').toUpperCase();
    const years = unit === 'Y' ? n : unit === 'M' ? n / 12 : unit === 'W' ? n / 52.1775 : n / 365.25;
    if (years > 0 && years < 130) return years;
  }
  const b = /^(\d{4})(\d{2})(\d{2})/.exec(birthDate.trim());
  const s = /^(\d{4})(\d{2})(\d{2})/.exec(studyDate.trim());
  if (b && s) {
    let years = Number(s[1]) - Number(b[1]);
    if (Number(s[2]) * 100 + Number(s[3]) < Number(b[2]) * 100 + Number(b[3])) years--;
    if (years > 0 && years < 130) return years;
  }
  return null;
}

/** DICOM PatientSex "F" / "M"; null for "O", empty or anything else. */
export function patientSex(dicomSex: string): Sex | null {
  const s = dicomSex.trim().toUpperCase();
  return s === 'F' ? 'female' : s === 'M' ? 'male' : null;
}
