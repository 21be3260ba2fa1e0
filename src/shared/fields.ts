/** Request fields several parts of the IPC contract use, defined once. */
import { z } from 'zod';

/** Client-chosen id of a long-running task; progress events and `task.cancel` refer to it. */
export const taskIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'taskId: 1-64 characters of A-Z, a-z, 0-9, _ or -');

/** A task id on a request that may run long: optional (no progress events without one). */
export const optionalTaskId = taskIdSchema.optional();

/** A scanned or vault series key (SeriesInstanceUID, plus a suffix when a mixed series was split). */
export const seriesKeySchema = z.string().min(1).max(256);

/** A file-system path as the user chose it. */
export const pathSchema = z.string().min(1).max(4096);
