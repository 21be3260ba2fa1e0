/** Channel handlers on real data: the main-process series cache follows what was scanned last. */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createInProcessBackend } from '../../src/main/dicom/in-process-backend';
import { createHandlers } from '../../src/main/ipc/handlers';
import { createRouter } from '../../src/main/ipc/router';
import type { LoadedSeriesInfo } from '../../src/shared/ipc-contract';
import type { ScanSummary } from '../../src/shared/series';
import { lidcStudy, missingData } from '../support/shared-data';

const skip = missingData('ct/LIDC-IDRI-0001.tar.xz');

describe.skipIf(skip !== null)('handlers on LIDC-IDRI-0001', () => {
  it('re-scanning the same series UID from other files drops the volume decoded from the old ones', async () => {
    const router = createRouter(
      createHandlers({ backend: createInProcessBackend(), appInfo: { name: 't', version: '0' } }),
      () => {},
    );
    const call = async <T>(channel: string, payload: unknown): Promise<T> => {
      const r = await router.invoke(channel, payload);
      if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
      return r.value as T;
    };
    const series = lidcStudy('0001').seriesDir;
    const full = await call<ScanSummary>('dicom.scan', { paths: [series] });
    const key = full.series[0]!.key;
    expect((await call<LoadedSeriesInfo>('dicom.loadSeries', { key })).geometry.dims[2]).toBe(133);

    const copy = mkdtempSync(join(tmpdir(), 'pulmolens-subset-'));
    try {
      for (const f of readdirSync(series).sort().slice(0, 6)) copyFileSync(join(series, f), join(copy, f));
      const subset = await call<ScanSummary>('dicom.scan', { paths: [copy] });
      expect(subset.series[0]!.key).toBe(key);
      const info = await call<LoadedSeriesInfo>('dicom.loadSeries', { key });
      expect(info.geometry.dims[2]).toBe(6);
      const px = await call<ArrayBuffer>('dicom.volumePixels', { key });
      expect(px.byteLength).toBe(512 * 512 * 6 * 2);
      // Scanning the same files again keeps the decoded volume.
      await call('dicom.scan', { paths: [copy] });
      expect((await call<ArrayBuffer>('dicom.volumePixels', { key })).byteLength).toBe(512 * 512 * 6 * 2);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
