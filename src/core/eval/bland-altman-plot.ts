/**
 * The Bland–Altman figure of diameter agreement as drawing primitives (the same model the FROC
 * figure uses, so froc-svg and froc-png draw it): x = mean of measured and reference diameter,
 * y = measured − reference, with the mean difference (solid) and the 95% limits (dashed).
 */
import { CURVE_COLOR, type PlotLine, type PlotModel, type PlotText, type Rgb } from './froc-plot';
import type { SizeAgreement } from '../../common/eval';

const AXIS: Rgb = [40, 40, 40];
const GRID: Rgb = [220, 220, 220];
const MEAN: Rgb = [191, 60, 31];

function niceStep(span: number): number {
  const raw = span / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw) ?? 10 * p;
}

export function blandAltmanPlotModel(s: SizeAgreement): PlotModel {
  const width = 640;
  const height = 480;
  const frame = { left: 80, top: 50, right: width - 30, bottom: height - 70 };
  const xs = s.pairs.map((p) => (p.measuredDiameterMm + p.referenceDiameterMm) / 2);
  const ys = s.pairs.map((p) => p.measuredDiameterMm - p.referenceDiameterMm);
  const a = s.diameterMm;
  const yVals = [...ys, 0, ...(a ? [a.meanDifference] : []), ...(a?.limitsOfAgreement ?? [])];
  let x0 = Math.min(0, ...xs);
  let x1 = Math.max(30, ...xs);
  let y0 = Math.min(-5, ...yVals);
  let y1 = Math.max(5, ...yVals);
  const xStep = niceStep(x1 - x0);
  const yStep = niceStep(y1 - y0);
  x0 = Math.floor(x0 / xStep) * xStep;
  x1 = Math.ceil(x1 / xStep) * xStep;
  y0 = Math.floor(y0 / yStep) * yStep;
  y1 = Math.ceil(y1 / yStep) * yStep;
  const px = (x: number): number => frame.left + ((x - x0) / (x1 - x0)) * (frame.right - frame.left);
  const py = (y: number): number => frame.bottom - ((y - y0) / (y1 - y0)) * (frame.bottom - frame.top);
  const lines: PlotLine[] = [];
  const texts: PlotText[] = [];
  for (let x = x0; x <= x1 + 1e-9; x += xStep) {
    lines.push({
      points: [
        [px(x), frame.top],
        [px(x), frame.bottom],
      ],
      color: GRID,
      width: 1,
      dashed: false,
    });
    texts.push({
      x: px(x),
      y: frame.bottom + 20,
      text: String(Math.round(x * 100) / 100),
      anchor: 'middle',
      vertical: false,
    });
  }
  for (let y = y0; y <= y1 + 1e-9; y += yStep) {
    lines.push({
      points: [
        [frame.left, py(y)],
        [frame.right, py(y)],
      ],
      color: GRID,
      width: 1,
      dashed: false,
    });
    texts.push({
      x: frame.left - 8,
      y: py(y) + 5,
      text: String(Math.round(y * 100) / 100),
      anchor: 'end',
      vertical: false,
    });
  }
  lines.push({
    points: [
      [frame.left, frame.top],
      [frame.left, frame.bottom],
      [frame.right, frame.bottom],
    ],
    color: AXIS,
    width: 1.5,
    dashed: false,
  });
  if (a) {
    lines.push({
      points: [
        [frame.left, py(a.meanDifference)],
        [frame.right, py(a.meanDifference)],
      ],
      color: MEAN,
      width: 2,
      dashed: false,
    });
    for (const l of a.limitsOfAgreement ?? []) {
      lines.push({
        points: [
          [frame.left, py(l)],
          [frame.right, py(l)],
        ],
        color: MEAN,
        width: 1.5,
        dashed: true,
      });
    }
  }
  const loa = a?.limitsOfAgreement;
  texts.push(
    {
      x: (frame.left + frame.right) / 2,
      y: height - 20,
      text: 'mean of measured and reference diameter (mm)',
      anchor: 'middle',
      vertical: false,
    },
    {
      x: 22,
      y: (frame.top + frame.bottom) / 2,
      text: 'measured - reference (mm)',
      anchor: 'middle',
      vertical: true,
    },
    {
      x: (frame.left + frame.right) / 2,
      y: 30,
      text: a
        ? `diameter: mean diff ${a.meanDifference.toFixed(2)} mm` +
          (loa ? `, LoA ${loa[0].toFixed(2)} to ${loa[1].toFixed(2)}` : '') +
          ` (n=${a.n})`
        : 'no hit with a measured diameter',
      anchor: 'middle',
      vertical: false,
    },
  );
  return {
    width,
    height,
    frame,
    lines,
    markers: xs.map((x, i) => ({ x: px(x), y: py(ys[i] as number), color: CURVE_COLOR })),
    texts,
  };
}
