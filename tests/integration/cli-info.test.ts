import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lidcStudy, missingData, repoRoot, sharedPath } from '../support/shared-data';

const cli = (...args: string[]) =>
  execFileSync(process.execPath, [join(repoRoot, 'bin/pulmolens.mjs'), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });

describe('pulmolens CLI', () => {
  it('--help lists the commands', () => {
    expect(cli('--help')).toMatch(/info \[options\] <paths\.\.\.>/);
  });

  it.skipIf(missingData('ct/LIDC-IDRI-0001.tar.xz'))(
    'info --json prints the contract object for LIDC-IDRI-0001',
    () => {
      const { root } = lidcStudy('0001');
      const report = JSON.parse(cli('info', root, '--json'));
      expect(Object.keys(report).sort()).toEqual(['series', 'skipped']);
      const s = report.series[0];
      expect(Object.keys(s).sort()).toEqual(
        [
          'seriesInstanceUid',
          'studyInstanceUid',
          'modality',
          'rows',
          'columns',
          'slices',
          'spacingMm',
          'originLps',
          'directionCosines',
          'huMin',
          'huMax',
          'huMean',
          'transferSyntaxes',
          'warnings',
        ].sort(),
      );
      expect(s).toMatchObject({
        seriesInstanceUid: '1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192',
        modality: 'CT',
        rows: 512,
        columns: 512,
        slices: 133,
        spacingMm: [0.703125, 0.703125, 2.5],
        originLps: [-166, -171.699997, -340],
        directionCosines: [1, 0, 0, 0, 1, 0, 0, 0, 1],
        transferSyntaxes: ['1.2.840.10008.1.2.1'],
      });
      expect(report.skipped).toEqual([
        { path: join(root, 'reader-annotations.xml'), reason: expect.stringMatching(/not a DICOM file/) },
      ]);
    },
  );

  it.skipIf(missingData('dicom/wg04-ct/CT1_UNC'))(
    'info prints a readable table and a clear line for skipped files',
    () => {
      const out = cli('info', sharedPath('dicom/wg04-ct/CT1_JPLL'), sharedPath('README.md'));
      expect(out).toMatch(/size\s+512 x 512 x 1/);
      expect(out).toMatch(/transfer syntax 1\.2\.840\.10008\.1\.2\.4\.70/);
      expect(out).toMatch(/Skipped 1 file\(s\):\n.*README\.md: not a DICOM file/);
    },
  );
});
