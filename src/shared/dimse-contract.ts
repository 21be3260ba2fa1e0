/**
 * DICOM networking channels (spread into src/shared/ipc-contract.ts): the Storage SCP's settings
 * and state, sending a reviewed analysis to the configured destination, and the automatic
 * analyses of received series. The settings schema is the one the main process and the CLI
 * validate with.
 */
import { z } from 'zod';
import { DimseSettings } from '../common/dimse-settings';
import type { ErrorCode } from '../common/errors';
import { optionalTaskId, seriesKeySchema } from './fields';

export const dimseRequestSchemas = {
  /** The saved DICOM network settings and whether the SCP is listening. */
  'dimse.settings': z.object({}).strict(),
  /** Validates, saves and applies the settings (the SCP starts, restarts or stops). */
  'dimse.saveSettings': z.object({ settings: DimseSettings }).strict(),
  /**
   * Sends the SR, the parametric map and the PDF (Encapsulated PDF) of the series' reviewed
   * analysis to the settings' destination (C-STORE); audit-logged; a failed send is queued.
   */
  'dimse.sendAnalysis': z.object({ key: seriesKeySchema, taskId: optionalTaskId }).strict(),
  /** Tries every send queued in the vault once more (to the destination each was meant for). */
  'dimse.retryQueue': z.object({}).strict(),
  /** The automatic analyses of received series in this session (queued, running, done, failed). */
  'dimse.autoAnalyses': z.object({}).strict(),
} as const;

export interface DimseState {
  settings: DimseSettings;
  listening: { host: string; port: number } | null;
  /** why the SCP is not listening although enabled (port in use, bad settings file) */
  error: string | null;
}

export interface SentAnalysis {
  /** "AET@host:port" */
  destination: string;
  /** what went, by name (report-sr.dcm, heatmap-pmap.dcm, report-pdf.dcm) */
  objects: string[];
}

/** Where the automatic analysis of one received series stands. */
export type AutoAnalysisState =
  | { kind: 'queued' }
  | { kind: 'running'; done: number; total: number; stage: string }
  | { kind: 'done'; findings: number; analysedAt: string }
  | { kind: 'failed'; code: ErrorCode | 'INTERNAL'; message: string };

export interface AutoAnalysis {
  /** the series key (what the study browser lists) */
  key: string;
  receivedFrom: string;
  state: AutoAnalysisState;
}

export interface DimseChannelResponses {
  'dimse.settings': DimseState;
  'dimse.saveSettings': DimseState;
  'dimse.sendAnalysis': SentAnalysis;
  'dimse.retryQueue': {
    delivered: number;
    stillQueued: Array<{ destination: string; objects: number; lastError: string; attempts: number }>;
  };
  'dimse.autoAnalyses': { analyses: AutoAnalysis[] };
}

export interface DimseEventPayloads {
  /** A series arrived from a DICOM peer and is in the vault (refresh the study browser). */
  'dimse.received': { studyRef: string; seriesRef: string; receivedFrom: string; autoAnalyze: boolean };
  /** An automatic analysis changed state (queued, progress, done, failed). */
  'dimse.autoAnalysis': AutoAnalysis;
}
