/**
 * The measurement channels: the reader's own measurements on a series (the schema lives in
 * src/common/measurement, shared with the core that reads them back from the vault).
 */
import { z } from 'zod';
import { measurementSchema, type Measurement } from '../common/measurement';

export {
  MEASUREMENT_TOOLS,
  measurementSchema,
  measurementStatsSchema,
  type Measurement,
  type MeasurementStats,
  type MeasurementTool,
} from '../common/measurement';

const seriesKey = z.string().min(1).max(256);

export const measurementSchemas = {
  /** The reader's measurements on a series, as last saved (empty when none). */
  'measurements.get': z.object({ key: seriesKey }).strict(),
  /** Replaces the series' measurements in the vault (a new immutable object); audit-logged. */
  'measurements.save': z
    .object({ key: seriesKey, measurements: z.array(measurementSchema).max(1000) })
    .strict(),
} as const;

export interface MeasurementResponses {
  'measurements.get': { measurements: Measurement[] };
  'measurements.save': { saved: number };
}
