import { describe, expect, it } from 'vitest';
import { annotationsCsv, generatePhantom, phantomToDicom, seededUid } from '../../src/core/synth/index';

describe('synthetic DICOM identifiers and annotations', () => {
  it('derives valid, seed-stable, role-distinct DICOM UIDs', () => {
    const uids = [
      seededUid(1, 'study'),
      seededUid(1, 'series'),
      seededUid(2, 'study'),
      seededUid(0, 'instance-0'),
    ];
    for (const u of uids) {
      expect(u).toMatch(/^2\.25\.(0|[1-9]\d*)$/);
      expect(u.length).toBeLessThanOrEqual(64);
    }
    expect(new Set(uids).size).toBe(uids.length);
    expect(seededUid(1, 'study')).toBe(uids[0]);
  });

  it('writes one file per slice and LUNA16 rows that round-trip the truth', () => {
    const p = generatePhantom({ seed: 4, dims: [64, 64, 24], spacingMm: [5.6, 5.6, 10], nodules: 2 });
    const s = phantomToDicom(p);
    expect(s.files).toHaveLength(24);
    expect(new Set(s.files.map((f) => f.name)).size).toBe(24);
    // Each file is a Part 10 file: 128-byte preamble then "DICM".
    expect(Buffer.from(s.files[0]!.bytes.subarray(128, 132)).toString('latin1')).toBe('DICM');
    const rows = annotationsCsv(s.seriesInstanceUid, p).trim().split('\n');
    expect(rows[0]).toBe('seriesuid,coordX,coordY,coordZ,diameter_mm');
    expect(rows.slice(1).map((r) => r.split(',').slice(1).map(Number))).toEqual(
      p.nodules.map((n) => [...n.centerLps, n.diameterMm]),
    );
  });
});
