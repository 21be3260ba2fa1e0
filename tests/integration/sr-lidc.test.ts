import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildMeasurementReport,
  COMPREHENSIVE_3D_SR_STORAGE,
  framesOfFinding,
  readDicom,
  reportContent,
  type ReportInput,
  type SrResult,
} from '../../src/core/report';
import { decide, emptyReview } from '../../src/common/review';
import { missingData } from '../support/shared-data';
import { lidcFixture, type LidcFixture } from './report-lidc-fixture';

type Item = Record<string, unknown> & {
  ValueType: string;
  ConceptNameCodeSequence?: Array<{ CodeValue: string; CodeMeaning: string }> | { CodeValue: string };
  ContentSequence?: Item[] | Item;
};
const list = <T>(v: T[] | T | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const concept = (i: Item) => list(i.ConceptNameCodeSequence as Array<{ CodeValue: string }>)[0]?.CodeValue;
const children = (i: Item) => list(i.ContentSequence);
const find = (i: Item, code: string) => children(i).filter((c) => concept(c) === code);
const num = (g: Item, code: string) => {
  const mv = list(
    (find(g, code)[0] as unknown as { MeasuredValueSequence?: unknown }).MeasuredValueSequence,
  )[0] as unknown as {
    NumericValue: number | string;
  };
  return Number(mv.NumericValue);
};

/** dcmtk lines on stderr that are not about the content: dcmtk cannot VR-check UTF-8 (dcmjs writes it). */
const CHARSET_NOTE = /^W: The VR checker does not support this Specific Character Set: ISO_IR 192$/;

describe.skipIf(missingData('ct/LIDC-IDRI-0001.tar.xz'))('DICOM SR (TID 1500) on LIDC-IDRI-0001', () => {
  let fx: LidcFixture;
  let input: ReportInput;
  let sr: SrResult;
  let work = '';
  let file = '';

  beforeAll(async () => {
    fx = await lidcFixture();
    let review = emptyReview(fx.document.seriesInstanceUid);
    review = decide(review, 'F001', {
      kind: 'edited',
      measurement: { longAxisMm: 26, shortAxisMm: 20 },
      type: 'solid',
      reviewer: 'Reader^Rita',
      at: '2026-11-22T21:00:00.000Z',
    });
    review = decide(review, 'F002', {
      kind: 'rejected',
      reviewer: 'Reader^Rita',
      at: '2026-11-22T21:01:00.000Z',
    });
    input = {
      metadata: fx.loaded.series.metadata,
      frames: fx.loaded.series.frames,
      volume: fx.loaded.volume,
      heatmap: fx.heatmap,
      document: fx.document,
      review,
    };
    sr = buildMeasurementReport(input, reportContent(input));
    work = mkdtempSync(join(tmpdir(), 'pulmolens-sr-'));
    file = join(work, 'report-sr.dcm');
    writeFileSync(file, sr.bytes);
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('re-reads with dcmjs as a Comprehensive 3D SR TID 1500 in the source study', () => {
    const ds = readDicom(sr.bytes) as Record<string, unknown> & Item;
    expect(ds.SOPClassUID).toBe(COMPREHENSIVE_3D_SR_STORAGE);
    expect(ds.Modality).toBe('SR');
    expect(ds.StudyInstanceUID).toBe(fx.loaded.series.metadata.studyInstanceUid);
    expect(ds.PatientID).toBe('LIDC-IDRI-0001');
    expect(ds.CompletionFlag).toBe('COMPLETE');
    expect(list(ds.ContentTemplateSequence as unknown[])[0]).toMatchObject({ TemplateIdentifier: '1500' });
    expect(concept(ds)).toBe('126000');
    // Evidence: every slice the model read.
    const evidence = list(ds.CurrentRequestedProcedureEvidenceSequence as Array<Record<string, unknown>>)[0]!;
    const series = list(evidence.ReferencedSeriesSequence as Array<Record<string, unknown>>)[0]!;
    expect(series.SeriesInstanceUID).toBe(fx.loaded.series.metadata.seriesInstanceUid);
    expect(list(series.ReferencedSOPSequence as unknown[])).toHaveLength(133);
  });

  it('has one measurement group per kept finding with axes, diameter and volume as the review set them', () => {
    const ds = readDicom(sr.bytes) as Item;
    const groups = find(find(ds, '126010')[0]!, '125007');
    expect(groups).toHaveLength(1); // F002 rejected
    const g = groups[0]!;
    expect((find(g, '112039')[0] as unknown as { TextValue: string }).TextValue).toBe('F001');
    expect((find(g, '112040')[0] as unknown as { UID: string }).UID).toBe(sr.trackingUids.F001);
    expect(num(g, '103339001')).toBe(26); // long axis
    expect(num(g, '103340004')).toBe(20); // short axis
    expect(num(g, '81827009')).toBe(23); // mean diameter
    expect(num(g, '118565006')).toBeGreaterThan(5000); // volume mm3
    const units = list(
      (
        list(
          (find(g, '118565006')[0] as unknown as { MeasuredValueSequence: unknown }).MeasuredValueSequence,
        )[0] as unknown as {
          MeasurementUnitsCodeSequence: unknown;
        }
      ).MeasurementUnitsCodeSequence,
    )[0] as unknown as { CodeValue: string; CodingSchemeDesignator: string };
    expect(units).toMatchObject({ CodeValue: 'mm3', CodingSchemeDesignator: 'UCUM' });
    const site = list(
      (find(g, '363698007')[0] as unknown as { ConceptCodeSequence: unknown }).ConceptCodeSequence,
    )[0];
    expect(site).toMatchObject({ CodeValue: '39607008' });
  });

  it('the SCOORD3D point round-trips to the finding centre in the series frame of reference', () => {
    const ds = readDicom(sr.bytes) as Item;
    const g = find(find(ds, '126010')[0]!, '125007')[0]!;
    const region = find(g, '111030')[0] as Item & {
      GraphicType: string;
      GraphicData: number[];
      ReferencedFrameOfReferenceUID: string;
    };
    expect(region.ValueType).toBe('SCOORD3D');
    expect(region.GraphicType).toBe('POINT');
    expect(region.ReferencedFrameOfReferenceUID).toBe(fx.loaded.series.metadata.frameOfReferenceUid);
    const centre = fx.document.findings[0]!.centerLps;
    region.GraphicData.forEach((v, a) => expect(v).toBeCloseTo(centre[a]!, 3));
  });

  it('the image library references the source slices that hold the finding', () => {
    const ds = readDicom(sr.bytes) as Item;
    const images = find(find(find(ds, '111028')[0]!, '126200')[0]!, '111031');
    const uids = images.map(
      (i) =>
        (
          list((i as unknown as { ReferencedSOPSequence: unknown }).ReferencedSOPSequence)[0] as Record<
            string,
            string
          >
        ).ReferencedSOPInstanceUID,
    );
    const expected = framesOfFinding(input, fx.document.findings[0]!).map((f) => f.sopInstanceUid);
    expect(uids.sort()).toEqual([...expected].sort());
    // 26 mm long axis over 2.5 mm slices: the centre slice and 5 either side.
    expect(uids.length).toBe(11);
    const centreSlice = fx.loaded.series.frames.find(
      (f) => f.slot === fx.document.findings[0]!.centerVoxel[2],
    )!;
    expect(uids).toContain(centreSlice.sopInstanceUid);
    const cls = (
      list((images[0] as unknown as { ReferencedSOPSequence: unknown }).ReferencedSOPSequence)[0] as Record<
        string,
        string
      >
    ).ReferencedSOPClassUID;
    expect(cls).toBe('1.2.840.10008.5.1.4.1.1.2');
  });

  it('names the centre slice by reference and by its Instance Number, as the viewer and PDF do', () => {
    const ds = readDicom(sr.bytes) as Item;
    const g = find(find(ds, '126010')[0]!, '125007')[0]!;
    const f = fx.document.findings[0]!;
    const centreSlice = fx.loaded.series.frames.find((fr) => fr.slot === Math.round(f.centerVoxel[2]))!;
    expect(centreSlice.instanceNumber).not.toBeNull();
    const source = find(g, '121112')[0] as Item;
    expect(source.ValueType).toBe('IMAGE');
    const ref = list(
      (source as unknown as { ReferencedSOPSequence: unknown }).ReferencedSOPSequence,
    )[0] as Record<string, string>;
    expect(ref.ReferencedSOPInstanceUID).toBe(centreSlice.sopInstanceUid);
    const label = find(g, 'IMG')[0] as unknown as { TextValue: string };
    expect(label.TextValue).toBe(String(centreSlice.instanceNumber));
  });

  it('dsrdump (content constraints enforced) and dcmdump read it without errors or warnings', () => {
    const d = spawnSync('dsrdump', [file], { encoding: 'utf8' });
    expect(d.status, d.stderr).toBe(0);
    expect(d.stderr.split('\n').filter((l) => l.trim() && !CHARSET_NOTE.test(l))).toEqual([]);
    expect(d.stdout).toContain('Comprehensive 3D SR Document');
    expect(d.stdout).toMatch(/SCOORD3D:\(,,"Image Region"\)=\(POINT,/);
    expect(d.stdout).toContain('<contains NUM:(,,"Long Axis")="26" (mm,UCUM,"millimeter")>');
    const t = spawnSync('dsrdump', ['+Pt', file], { encoding: 'utf8' });
    expect(t.stdout).toMatch(/TID 1500/);
    const m = spawnSync('dcmdump', [file], { encoding: 'utf8' });
    expect(m.status).toBe(0);
    expect(m.stderr.trim()).toBe('');
  });
});
