/** De-identified export for research: PS3.15 Annex E Basic Application Level Confidentiality Profile. */
export {
  BASIC_PROFILE,
  PROFILE_BY_TAG,
  isRepeatingGroupRemoval,
  type ProfileAction,
  type ProfileRow,
} from './profile-table';
export {
  DATE_OPTIONS,
  deidentifyBytes,
  deidentifyDataset,
  newDeidSession,
  pseudonym,
  remapUid,
  shiftDate,
  type DateOption,
  type DeidSession,
  type DeidentifiedInstance,
} from './deidentify';
export { deidentifyFolder, type DeidExportOptions, type DeidExportResult } from './export-folder';
