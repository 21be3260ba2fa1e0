/**
 * DICOM networking channels (spread into src/shared/ipc-contract.ts): the Storage SCP's settings
 * and state. The settings schema is the one the main process and the CLI validate with.
 */
import { z } from 'zod';
import { DimseSettings } from '../common/dimse-settings';

export const dimseRequestSchemas = {
  /** The saved DICOM network settings and whether the SCP is listening. */
  'dimse.settings': z.object({}).strict(),
  /** Validates, saves and applies the settings (the SCP starts, restarts or stops). */
  'dimse.saveSettings': z.object({ settings: DimseSettings }).strict(),
} as const;

export interface DimseState {
  settings: DimseSettings;
  listening: { host: string; port: number } | null;
  /** why the SCP is not listening although enabled (port in use, bad settings file) */
  error: string | null;
}

export interface DimseChannelResponses {
  'dimse.settings': DimseState;
  'dimse.saveSettings': DimseState;
}

export interface DimseEventPayloads {
  /** A series arrived from a DICOM peer and is in the vault (refresh the study browser). */
  'dimse.received': { studyRef: string; seriesRef: string; receivedFrom: string; autoAnalyze: boolean };
}
