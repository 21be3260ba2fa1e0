/**
 * The FROC figure as drawing primitives in pixel space, so the SVG and the PNG show the same plot.
 * Axes as in LUNA16's figures: false positives per scan on a log2 axis from 1/8 to 8, sensitivity
 * 0..1; the bootstrap 95% band at the seven FP rates is drawn dashed around the curve.
 */
import type { BootstrapResult } from './bootstrap';
import { interpolate, type FrocCurve } from './froc';
import { FROC_FP_RATES } from '../../common/eval';

export type Rgb = [number, number, number];

export interface PlotLine {
  points: [number, number][];
  color: Rgb;
  width: number;
  dashed: boolean;
}

export interface PlotText {
  x: number;
  y: number;
  text: string;
  anchor: 'start' | 'middle' | 'end';
  /** Rotated 90° counter-clockwise (the y-axis label). */
  vertical: boolean;
}

export interface PlotModel {
  width: number;
  height: number;
  frame: { left: number; top: number; right: number; bottom: number };
  lines: PlotLine[];
  markers: { x: number; y: number; color: Rgb }[];
  texts: PlotText[];
}

export const CURVE_COLOR: Rgb = [31, 95, 191];
const GRID: Rgb = [220, 220, 220];
const AXIS: Rgb = [40, 40, 40];
const BAND: Rgb = [140, 170, 220];

const LOG_MIN = Math.log2(FROC_FP_RATES[0]);
const LOG_MAX = Math.log2(FROC_FP_RATES[FROC_FP_RATES.length - 1] as number);

function fmt(v: number | null): string {
  return v === null ? 'n/a' : v.toFixed(3);
}

export function frocPlotModel(
  curve: FrocCurve,
  bootstrap: BootstrapResult,
  summary: { cpm: number | null; cpmCI95: [number, number] | null },
): PlotModel {
  const width = 640;
  const height = 480;
  const frame = { left: 80, top: 50, right: width - 30, bottom: height - 70 };
  const px = (fp: number): number =>
    frame.left + ((Math.log2(fp) - LOG_MIN) / (LOG_MAX - LOG_MIN)) * (frame.right - frame.left);
  const py = (s: number): number => frame.bottom - s * (frame.bottom - frame.top);
  const lines: PlotLine[] = [];
  const texts: PlotText[] = [];
  const markers: PlotModel['markers'] = [];
  const line = (points: [number, number][], color: Rgb, width: number, dashed = false): void => {
    lines.push({ points, color, width, dashed });
  };

  for (const fp of FROC_FP_RATES) {
    line(
      [
        [px(fp), frame.top],
        [px(fp), frame.bottom],
      ],
      GRID,
      1,
    );
    line(
      [
        [px(fp), frame.bottom],
        [px(fp), frame.bottom + 6],
      ],
      AXIS,
      1,
    );
    const label = fp < 1 ? `1/${1 / fp}` : String(fp);
    texts.push({ x: px(fp), y: frame.bottom + 22, text: label, anchor: 'middle', vertical: false });
  }
  for (let s = 0; s <= 10; s += 2) {
    const y = py(s / 10);
    line(
      [
        [frame.left, y],
        [frame.right, y],
      ],
      GRID,
      1,
    );
    line(
      [
        [frame.left - 6, y],
        [frame.left, y],
      ],
      AXIS,
      1,
    );
    texts.push({ x: frame.left - 10, y: y + 5, text: (s / 10).toFixed(1), anchor: 'end', vertical: false });
  }
  line(
    [
      [frame.left, frame.top],
      [frame.left, frame.bottom],
      [frame.right, frame.bottom],
    ],
    AXIS,
    2,
  );

  const sens = curve.sensitivity;
  if (sens) {
    const samples: [number, number][] = [];
    for (let i = 0; i <= 240; i++) {
      const fp = 2 ** (LOG_MIN + ((LOG_MAX - LOG_MIN) * i) / 240);
      samples.push([px(fp), py(interpolate(curve.fpPerScan, sens, fp))]);
    }
    const ci = bootstrap.sensitivityCI95;
    if (ci) {
      line(
        ci.map(([lo], i) => [px(FROC_FP_RATES[i] as number), py(lo)]),
        BAND,
        1,
        true,
      );
      line(
        ci.map(([, hi], i) => [px(FROC_FP_RATES[i] as number), py(hi)]),
        BAND,
        1,
        true,
      );
    }
    line(samples, CURVE_COLOR, 2);
    for (const fp of FROC_FP_RATES) {
      markers.push({ x: px(fp), y: py(interpolate(curve.fpPerScan, sens, fp)), color: CURVE_COLOR });
    }
  }

  const ci = summary.cpmCI95 ? ` (95% CI ${fmt(summary.cpmCI95[0])}-${fmt(summary.cpmCI95[1])})` : '';
  texts.push({
    x: width / 2,
    y: 30,
    text: `CPM ${fmt(summary.cpm)}${ci}`,
    anchor: 'middle',
    vertical: false,
  });
  texts.push({
    x: (frame.left + frame.right) / 2,
    y: height - 20,
    text: 'FALSE POSITIVES PER SCAN',
    anchor: 'middle',
    vertical: false,
  });
  texts.push({
    x: 24,
    y: (frame.top + frame.bottom) / 2,
    text: 'SENSITIVITY',
    anchor: 'middle',
    vertical: true,
  });
  return { width, height, frame, lines, markers, texts };
}
