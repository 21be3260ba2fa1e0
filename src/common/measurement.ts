/**
 * The reader's own measurements (calipers, bidirectional, HU probe, elliptical and circular ROI)
 * as the viewer lists them, the vault keeps them with their series, and the SR exports them. One
 * schema, validated by the main process on every save (the renderer is not trusted) and by the
 * core when it reads them back from the vault.
 */
import { z } from 'zod';

export const MEASUREMENT_TOOLS = ['Length', 'Bidirectional', 'Probe', 'EllipticalROI', 'CircleROI'] as const;
export type MeasurementTool = (typeof MEASUREMENT_TOOLS)[number];

const finite = z.number().finite();
const vec3 = z.tuple([finite, finite, finite]);

const roiStats = {
  meanHu: finite,
  stdDevHu: finite.nonnegative(),
  areaMm2: finite.nonnegative(),
  minHu: finite,
  maxHu: finite,
};

/** Each tool's numbers; which fields exist follows from the tool, so a probe cannot have an area. */
export const measurementStatsSchema = z.discriminatedUnion('tool', [
  z.object({ tool: z.literal('Length'), lengthMm: finite.nonnegative() }).strict(),
  z
    .object({
      tool: z.literal('Bidirectional'),
      longAxisMm: finite.nonnegative(),
      shortAxisMm: finite.nonnegative(),
    })
    .strict(),
  z.object({ tool: z.literal('Probe'), hu: finite }).strict(),
  z.object({ tool: z.literal('EllipticalROI'), ...roiStats }).strict(),
  z.object({ tool: z.literal('CircleROI'), ...roiStats }).strict(),
]);
export type MeasurementStats = z.infer<typeof measurementStatsSchema>;

export const measurementSchema = z
  .object({
    uid: z.string().min(1).max(128),
    tool: z.enum(MEASUREMENT_TOOLS),
    viewportId: z.enum(['axial', 'coronal', 'sagittal', 'mip']),
    /** Human-readable value, e.g. "23.4 mm", "12.3 × 8.1 mm", "-712 HU", "42 ± 9 HU · 113 mm²". */
    text: z.string().max(200),
    /** Main number: mm (length, long axis), HU (probe), mean HU (ROI). */
    value: finite,
    stats: measurementStatsSchema,
    /** Cornerstone's handle points, world LPS mm: what the annotation is redrawn from. */
    points: z.array(vec3).min(1).max(8),
    /** The plane the measurement was drawn in (Cornerstone camera vectors). */
    viewPlaneNormal: vec3,
    viewUp: vec3,
    frameOfReferenceUid: z.string().max(64),
    /** Volume slice index (sorted order) of the first point, where drawn on an axial plane. */
    sliceIndex: z.number().int().min(0).max(100_000).nullable(),
  })
  .strict()
  .refine((m) => m.stats.tool === m.tool, 'stats must belong to the measurement tool');
export type Measurement = z.infer<typeof measurementSchema>;
