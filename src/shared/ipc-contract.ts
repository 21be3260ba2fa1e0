/**
 * The one IPC contract between the renderer and the main process (and the test host, which serves
 * the same router). Every channel names its request schema (zod, validated in the main process
 * before anything runs) and its response type. The preload exposes exactly `invoke` and `on` over
 * this contract as `window.api`; the renderer never sees Node or Electron.
 *
 * Adding a channel: add a schema to `requestSchemas`, its response type to `ChannelResponses`, and
 * a handler in src/main/ipc/handlers (the router's `satisfies` makes a missing one a type error).
 *
 * Type-only imports from src/core keep one source of truth for domain shapes; they are erased at
 * build time, so no core code ever reaches the renderer bundle.
 */
import { z } from 'zod';
import type { ErrorCode } from '../common/errors';
import type { SeriesMetadata, SkippedFile } from '../common/dicom';
import type { VolumeGeometry } from '../common/volume';
import { optionalTaskId, pathSchema, seriesKeySchema, taskIdSchema } from './fields';
import type { ScanSummary } from './series';
import { analysisSchemas, type AnalysisResponses } from './analysis-contract';
import { vaultRequestSchemas, type VaultChannelResponses, type VaultEventPayloads } from './vault-contract';
import { measurementSchemas, type MeasurementResponses } from './measurement-contract';
import { importSchemas, type ImportResponses } from './import-contract';
import { dimseRequestSchemas, type DimseChannelResponses, type DimseEventPayloads } from './dimse-contract';

const taskId = optionalTaskId;
const seriesKey = seriesKeySchema;

export const requestSchemas = {
  /** App name/version and whether native dialogs exist (false in the browser test host). */
  'app.info': z.object({}).strict(),
  /** Native folder picker; `paths` is null when the user cancels. */
  'dialog.openFolder': z.object({}).strict(),
  /** Scan files and folders for DICOM series (headers only, no pixel decoding). */
  'dicom.scan': z
    .object({
      paths: z.array(pathSchema).min(1).max(10_000),
      taskId,
    })
    .strict(),
  /** Decode a scanned series into an HU volume held by the main process; returns its geometry. */
  'dicom.loadSeries': z.object({ key: seriesKey, taskId }).strict(),
  /** The loaded volume's voxels: Int16 HU, index i + j*nx + k*nx*ny (see src/core/volume). */
  'dicom.volumePixels': z.object({ key: seriesKey }).strict(),
  /** A small grey preview of the middle slice of a scanned series (lung window). */
  'dicom.thumbnail': z
    .object({ key: seriesKey, size: z.number().int().min(16).max(256).default(96) })
    .strict(),
  /** Abort a running task; its invoke then fails with code CANCELLED. */
  'task.cancel': z.object({ taskId: taskIdSchema }).strict(),
  ...analysisSchemas,
  ...vaultRequestSchemas,
  ...measurementSchemas,
  ...importSchemas,
  ...dimseRequestSchemas,
} as const;

export type Channel = keyof typeof requestSchemas;
export const channels = Object.keys(requestSchemas) as Channel[];

/** What a caller passes (defaults may be omitted). */
export type ChannelRequest<C extends Channel> = z.input<(typeof requestSchemas)[C]>;
/** What a handler receives, after validation and defaults. */
export type ValidRequest<C extends Channel> = z.output<(typeof requestSchemas)[C]>;

export interface LoadedSeriesInfo {
  key: string;
  metadata: SeriesMetadata;
  geometry: VolumeGeometry;
  huMin: number;
  huMax: number;
  huMean: number;
  /** Frames that failed to decode (filled with -1024 HU). */
  skipped: SkippedFile[];
  warnings: string[];
  /** Slice centre positions along the sorted stack (LPS mm), for the slice-position overlay. */
  slicePositionsLps: [number, number, number][];
  /** DICOM Instance Number of each volume slice k (null for gaps and slices without one). */
  instanceNumbers: (number | null)[];
}

export interface Thumbnail {
  width: number;
  height: number;
  /** 8-bit grey, row-major, width*height values. */
  gray: number[];
}

export interface ChannelResponses
  extends
    AnalysisResponses,
    VaultChannelResponses,
    MeasurementResponses,
    ImportResponses,
    DimseChannelResponses {
  /** nativeDialogs: Electron's folder dialog; folderBrowser: the host's folders.list/locate. */
  'app.info': { name: string; version: string; nativeDialogs: boolean; folderBrowser: boolean };
  'dialog.openFolder': { paths: string[] | null };
  'dicom.scan': ScanSummary;
  'dicom.loadSeries': LoadedSeriesInfo;
  'dicom.volumePixels': ArrayBuffer;
  'dicom.thumbnail': Thumbnail;
  'task.cancel': { cancelled: boolean };
}

export type ChannelResponse<C extends Channel> = ChannelResponses[C];

/** Errors the transport itself can produce, on top of the core's typed codes. */
export type IpcErrorCode =
  ErrorCode | 'IPC_UNKNOWN_CHANNEL' | 'IPC_INVALID_PAYLOAD' | 'IPC_FORBIDDEN' | 'INTERNAL';

export interface IpcError {
  code: IpcErrorCode;
  message: string;
  /** The file or object the error is about, when there is one. */
  path?: string;
  /** Which request fields failed and why (IPC_INVALID_PAYLOAD, and settings a field makes fail). */
  issues?: { path: string; message: string }[];
}

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/** Events pushed from the main process to the renderer. */
export interface EventPayloads extends VaultEventPayloads, DimseEventPayloads {
  'task.progress': { taskId: string; done: number; total: number; stage: string };
}
export type EventName = keyof EventPayloads;

/** The whole surface of `window.api`. */
export interface PulmoLensApi {
  invoke<C extends Channel>(channel: C, request: ChannelRequest<C>): Promise<IpcResult<ChannelResponse<C>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
  /** The file-system path of a dropped file (Electron only; browsers never reveal paths). */
  pathForFile?(file: File): string | null;
}

export { IPC_EVENT, IPC_INVOKE } from './ipc-channels';
