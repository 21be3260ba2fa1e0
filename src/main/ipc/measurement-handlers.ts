/** The measurement channels over a MeasurementStore (src/core/findings/measurement-store). */
import type { MeasurementResponses } from '../../shared/measurement-contract';
import type { MeasurementStore } from '../../core/findings/measurement-store';
import type { Handler } from './router';

export {
  measurementObjectName,
  memoryMeasurementStore,
  vaultMeasurementStore,
  type MeasurementStore,
} from '../../core/findings/measurement-store';

export function createMeasurementHandlers(store: MeasurementStore): {
  'measurements.get': Handler<'measurements.get'>;
  'measurements.save': Handler<'measurements.save'>;
} {
  return {
    'measurements.get': async ({ key }): Promise<MeasurementResponses['measurements.get']> => ({
      measurements: await store.load(key),
    }),
    'measurements.save': async ({
      key,
      measurements,
    }): Promise<MeasurementResponses['measurements.save']> => {
      await store.save(key, measurements);
      return { saved: measurements.length };
    },
  };
}
