/** The DICOM networking channels: read and change the Storage SCP settings (see DimseService). */
import { PulmoLensError } from '../../common/errors';
import type { DimseState } from '../../shared/dimse-contract';
import type { DimseService } from '../dimse-service';
import type { Handler } from './router';

export type DimseHandlers = {
  'dimse.settings': Handler<'dimse.settings'>;
  'dimse.saveSettings': Handler<'dimse.saveSettings'>;
};

export function createDimseHandlers(service: DimseService | undefined): DimseHandlers {
  const require = (): DimseService => {
    if (!service) throw new PulmoLensError('NOT_FOUND', 'DICOM networking is not available in this host');
    return service;
  };
  const state = async (s: DimseService): Promise<DimseState> => ({
    settings: await s.getSettings(),
    ...s.status(),
  });
  return {
    'dimse.settings': async () => state(require()),
    'dimse.saveSettings': async ({ settings }) => {
      const s = require();
      await s.saveSettings(settings);
      return state(s);
    },
  };
}
