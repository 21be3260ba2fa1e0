/**
 * DICOM networking channels (spread into src/shared/ipc-contract.ts): the Storage SCP's settings
 * and state, sending a reviewed analysis to the configured destination, and the automatic
 * analyses of received series. The settings schema is the one the main process and the CLI
 * validate with.
 */
import { z } from 'zod';
import { Destination, DimseSettings } from '../common/dimse-settings';
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
  /** C-ECHO to a destination (saved or not yet): does it answer, to our AE title? */
  'dimse.verify': z.object({ destination: Destination }).strict(),
  /** The automatic analyses of received series in this session (queued, running, done, failed). */
  'dimse.autoAnalyses': z.object({}).strict(),
} as const;

/** What the Storage SCP is doing now. */
export type ListenerState =
  | { kind: 'off'; why: 'disabled' | 'vault-locked' }
  | { kind: 'listening'; host: string; port: number; aeTitle: string }
  | { kind: 'failed'; reason: string };

/** The vault's queue of failed sends and its automatic retries. */
export interface SendQueueStatus {
  /** entries waiting in the vault's queue (0 while locked: the queue is in the vault) */
  queued: number;
  /** ISO time of the next automatic attempt; null when none is planned */
  nextAttemptAt: string | null;
  lastAttempt: {
    at: string;
    automatic: boolean;
    delivered: number;
    stillQueued: number;
    /** the first remaining entry's error, or why the attempt itself failed */
    error: string | null;
  } | null;
}

export interface DimseState {
  settings: DimseSettings;
  listening: { host: string; port: number } | null;
  /** why the SCP is not listening although enabled (port in use, bad settings file) */
  error: string | null;
  listener: ListenerState;
  queue: SendQueueStatus;
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
  'dimse.verify': { destination: string; ms: number };
}

export interface DimseEventPayloads {
  /** A series arrived from a DICOM peer and is in the vault (refresh the study browser). */
  'dimse.received': { studyRef: string; seriesRef: string; receivedFrom: string; autoAnalyze: boolean };
  /** An automatic analysis changed state (queued, progress, done, failed). */
  'dimse.autoAnalysis': AutoAnalysis;
  /** The listener or the send queue changed (started, stopped, failed; queued, retried). */
  'dimse.state': DimseState;
}
