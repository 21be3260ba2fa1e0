import type { EvalMetrics } from '../../common/eval';

const W = 420;
const H = 280;
const M = { l: 48, r: 12, t: 12, b: 40 };
const X0 = 0.125;
const X1 = 8;

/** FROC curve on LUNA16's log axis (1/8..8 FP per scan), with the seven scored points. */
export function FrocPlot({
  curve,
  metrics,
}: {
  curve: { fpPerScan: number[]; sensitivity: number[] };
  metrics: EvalMetrics;
}) {
  const x = (fp: number) =>
    M.l +
    ((Math.log2(Math.min(X1, Math.max(X0, fp))) - Math.log2(X0)) / (Math.log2(X1) - Math.log2(X0))) *
      (W - M.l - M.r);
  const y = (s: number) => H - M.b - s * (H - M.t - M.b);
  const pts = curve.fpPerScan
    .map((fp, i) => [fp, curve.sensitivity[i] ?? 0] as const)
    .filter(([fp]) => fp > 0);
  // The curve is a step function: sensitivity holds until the next false positive.
  const path = pts
    .map(([fp, s], i) => `${i === 0 ? 'M' : 'L'}${x(fp).toFixed(1)},${y(s).toFixed(1)}`)
    .join(' ');
  return (
    <svg
      width={W}
      height={H}
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label="FROC curve"
      data-testid="froc-plot"
      style={{ background: '#111' }}
    >
      <rect x={M.l} y={M.t} width={W - M.l - M.r} height={H - M.t - M.b} fill="none" stroke="#555" />
      {metrics.froc.fpPerScan.map((fp) => (
        <g key={fp}>
          <line x1={x(fp)} x2={x(fp)} y1={M.t} y2={H - M.b} stroke="#333" />
          <text x={x(fp)} y={H - M.b + 14} fill="#bbb" fontSize={10} textAnchor="middle">
            {fp}
          </text>
        </g>
      ))}
      {[0, 0.25, 0.5, 0.75, 1].map((s) => (
        <text key={s} x={M.l - 6} y={y(s) + 3} fill="#bbb" fontSize={10} textAnchor="end">
          {s}
        </text>
      ))}
      <text x={(W + M.l) / 2} y={H - 6} fill="#ddd" fontSize={11} textAnchor="middle">
        false positives per scan
      </text>
      <text
        x={12}
        y={H / 2}
        fill="#ddd"
        fontSize={11}
        textAnchor="middle"
        transform={`rotate(-90 12 ${H / 2})`}
      >
        sensitivity
      </text>
      {path && <path d={path} fill="none" stroke="#4fc3f7" strokeWidth={2} />}
      {metrics.froc.fpPerScan.map((fp, i) => {
        const s = metrics.froc.sensitivity[i];
        return s === null || s === undefined ? null : (
          <circle key={fp} cx={x(fp)} cy={y(s)} r={3.5} fill="#ffb74d" data-froc-point={fp} />
        );
      })}
    </svg>
  );
}
