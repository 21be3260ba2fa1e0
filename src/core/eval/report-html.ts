/**
 * report.html: one self-contained page a researcher can publish from, with the same figures as
 * metrics.json (every number carries data-metric with its metrics.json path and data-value with
 * the exact value). No script runs and nothing is fetched: the plots are inline SVG, key images
 * are PNG data URIs, and metrics.json itself is embedded as inert JSON.
 */
import type { EvalMetrics, OperatingPointMetrics, SubgroupRow } from '../../common/eval';
import type { ReportSpot } from './report-spots';

export interface ReportInputs {
  metrics: EvalMetrics;
  frocSvg: string;
  blandAltmanSvg: string;
  spots: readonly ReportSpot[];
  /** PNG per spot key; a spot without one says why (studies not available to this run). */
  keyImages: ReadonlyMap<string, Uint8Array>;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f3 = (v: number | null | undefined): string => (v === null || v === undefined ? 'n/a' : v.toFixed(3));

/** A number cell tied to its metrics.json path. */
function num(path: string, v: number | null | undefined): string {
  const value = v === undefined ? null : v;
  return `<td data-metric="${esc(path)}" data-value="${value === null ? 'null' : String(value)}">${f3(value)}</td>`;
}

function ci(path: string, c: [number, number] | null | undefined): string {
  return c
    ? `<td data-metric="${esc(path)}" data-value="${esc(JSON.stringify(c))}">${f3(c[0])} – ${f3(c[1])}</td>`
    : '<td>–</td>';
}

function pointRows(path: string, op: OperatingPointMetrics, cis: EvalMetrics['operatingPointCI95']): string {
  const ciOf = (k: 'recall' | 'precision' | 'f1' | 'fpPerScan'): string =>
    cis ? ci(`operatingPointCI95.${k}`, cis[k]) : '<td>–</td>';
  return [
    `<tr><th>threshold</th>${num(`${path}.threshold`, op.threshold)}<td></td></tr>`,
    `<tr><th>recall</th>${num(`${path}.recall`, op.recall)}${path === 'operatingPoint' ? ciOf('recall') : '<td></td>'}</tr>`,
    `<tr><th>precision</th>${num(`${path}.precision`, op.precision)}${path === 'operatingPoint' ? ciOf('precision') : '<td></td>'}</tr>`,
    `<tr><th>F1</th>${num(`${path}.f1`, op.f1)}${path === 'operatingPoint' ? ciOf('f1') : '<td></td>'}</tr>`,
    `<tr><th>FP/scan</th>${num(`${path}.fpPerScan`, op.fpPerScan)}${path === 'operatingPoint' ? ciOf('fpPerScan') : '<td></td>'}</tr>`,
    `<tr><th>TP / FP / FN</th><td colspan="2">${op.tp} / ${op.fp} / ${op.fn}</td></tr>`,
  ].join('\n');
}

function notes(m: EvalMetrics): string[] {
  const out: string[] = [];
  if (m.confidenceNote) out.push(`95% intervals ${m.confidenceNote}.`);
  const t = m.trainingScans;
  if (!t.listed) out.push('The model manifest does not list its training scans, so none could be flagged.');
  else if (t.series.length > 0) {
    out.push(
      `${t.series.length} scan(s) the model was trained or tuned on ${t.inFigures ? 'are INCLUDED in these figures (optimistic)' : 'were left out of these figures'}: ${t.series.join(', ')}.`,
    );
  }
  if (m.reference.annotatedSeriesNotFound > 0) {
    out.push(
      `${m.reference.annotatedSeriesNotFound} annotated series were not among the studies (the studies present were scored).`,
    );
  }
  if (m.reference.seriesWithoutAnnotations.length > 0) {
    out.push(
      `${m.reference.seriesWithoutAnnotations.length} scan(s) have no annotation row and count as nodule-free: ${m.reference.seriesWithoutAnnotations.join(', ')}.`,
    );
  }
  return out;
}

function subgroupRow(dimension: string, i: number, j: number, r: SubgroupRow): string {
  const p = `subgroups.dimensions.${i}.rows.${j}`;
  return (
    `<tr data-subgroup="${esc(`${dimension}/${r.group}`)}"><td>${esc(dimension)}</td><td>${esc(r.group)}</td>` +
    `<td data-metric="${p}.scans" data-value="${r.scans}">${r.scans}</td>` +
    `<td data-metric="${p}.nodules" data-value="${r.nodules}">${r.nodules}</td>` +
    `<td data-metric="${p}.detected" data-value="${r.detected}">${r.detected}</td>` +
    num(`${p}.sensitivity`, r.sensitivity) +
    (r.sensitivityCI95
      ? ci(`${p}.sensitivityCI95`, r.sensitivityCI95)
      : `<td>${r.ciNote ? 'not meaningful' : '–'}</td>`) +
    num(`${p}.fpPerScan`, r.fpPerScan) +
    '</tr>'
  );
}

export function reportHtml(r: ReportInputs): string {
  const m = r.metrics;
  const sa = m.sizeAgreement;
  const agreement = (name: string, path: string, a: typeof sa.diameterMm, unit: string): string =>
    a
      ? `<tr><th>${name}</th><td data-metric="${path}.n" data-value="${a.n}">${a.n}</td>${num(`${path}.meanDifference`, a.meanDifference)}` +
        `${a.limitsOfAgreement ? ci(`${path}.limitsOfAgreement`, a.limitsOfAgreement) : '<td>n/a (fewer than 2 hits)</td>'}` +
        `${num(`${path}.meanAbsoluteDifference`, a.meanAbsoluteDifference)}<td>${unit}</td></tr>`
      : `<tr><th>${name}</th><td colspan="5">no hit with a measurement</td></tr>`;
  const spotsBySeries = new Map<string, ReportSpot[]>();
  for (const s of r.spots)
    spotsBySeries.set(s.seriesInstanceUid, [...(spotsBySeries.get(s.seriesInstanceUid) ?? []), s]);
  const spotCell = (s: ReportSpot): string => {
    const png = r.keyImages.get(s.key);
    const img = png
      ? `<img alt="${esc(`${s.kind} ${s.id}`)}" width="128" height="128" src="data:image/png;base64,${Buffer.from(png).toString('base64')}">`
      : '<span class="muted">no image (the studies were not available to this run)</span>';
    const what =
      s.kind === 'miss'
        ? `missed ${esc(s.id)}, ${f3(s.diameterMm)} mm`
        : `false positive ${esc(s.id)}, p ${f3(s.probability)}${s.diameterMm !== null ? `, ${f3(s.diameterMm)} mm` : ''}`;
    return `<figure class="spot" data-spot-kind="${s.kind}" data-spot-key="${esc(s.key)}">${img}<figcaption>${what}<br>LPS ${s.centerLps.map((v) => v.toFixed(1)).join(', ')}</figcaption></figure>`;
  };
  const perScan = m.perScan
    .map(
      (p) =>
        `<tr data-series-uid="${esc(p.seriesInstanceUid)}"><td><code>${esc(p.seriesInstanceUid)}</code>${p.trainingScan ? ' <b>training scan</b>' : ''}</td>` +
        `<td>${p.tp}</td><td>${p.fp}</td><td>${p.fn}</td><td>${(spotsBySeries.get(p.seriesInstanceUid) ?? []).map(spotCell).join('')}</td></tr>`,
    )
    .join('\n');
  const froc = m.froc.fpPerScan
    .map((fp, i) => `<tr><th>${fp}</th>${num(`froc.sensitivity.${i}`, m.froc.sensitivity[i])}</tr>`)
    .join('\n');
  const json = JSON.stringify(m).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>PulmoLens evaluation: ${esc(m.model.name)} ${esc(m.model.version)}</title>
<style>
body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
.notes li{color:#8a4b00}.muted{color:#777}figure.spot{display:inline-block;margin:4px;font-size:12px;width:140px}
svg{max-width:100%;height:auto}
</style>
</head>
<body>
<h1>Nodule detection evaluation (LUNA16 rules)</h1>
<p>Model <b>${esc(m.model.name)} ${esc(m.model.version)}</b> (sha256 <code>${esc(m.model.sha256)}</code>);
<span data-metric="scans" data-value="${m.scans}">${m.scans}</span> scans,
<span data-metric="nodules" data-value="${m.nodules}">${m.nodules}</span> nodules; reference sha256 <code>${esc(m.data.annotationsSha256)}</code>.</p>
<ul class="notes">${notes(m)
    .map((n) => `<li>${esc(n)}</li>`)
    .join('')}</ul>
<h2>FROC</h2>
${r.frocSvg}
<table aria-label="FROC"><tr><th>FP/scan</th><th>sensitivity</th></tr>
${froc}
<tr><th>CPM</th>${num('cpm', m.cpm)}</tr>
<tr><th>CPM 95% CI</th>${m.cpmCI95 ? ci('cpmCI95', m.cpmCI95) : `<td>${esc(m.confidenceNote ?? '–')}</td>`}</tr>
</table>
<h2>Operating points</h2>
<h3>Primary: ${esc(m.operatingPointSource.label)}</h3>
<table aria-label="Primary operating point"><tr><th></th><th>value</th><th>95% CI (bootstrap over scans)</th></tr>
${pointRows('operatingPoint', m.operatingPoint, m.operatingPointCI95)}
</table>
<h3>${esc(m.tunedOperatingPoint.label)}</h3>
<table aria-label="Tuned operating point"><tr><th></th><th>value</th><th></th></tr>
${pointRows('tunedOperatingPoint', m.tunedOperatingPoint, null)}
</table>
<h2>Subgroups (at threshold ${f3(m.subgroups.threshold)})</h2>
<table aria-label="Subgroups"><tr><th>dimension</th><th>group</th><th>scans</th><th>nodules</th><th>detected</th><th>sensitivity</th><th>95% CI</th><th>FP/scan</th></tr>
${m.subgroups.dimensions.flatMap((d, i) => d.rows.map((row, j) => subgroupRow(d.dimension, i, j, row))).join('\n')}
</table>
<h2>Size agreement (measured − reference, hits at the primary threshold)</h2>
<table aria-label="Size agreement"><tr><th></th><th>hits</th><th>mean difference</th><th>95% limits of agreement</th><th>mean absolute difference</th><th>unit</th></tr>
${agreement('diameter', 'sizeAgreement.diameterMm', sa.diameterMm, 'mm')}
${agreement('volume', 'sizeAgreement.volumeMm3', sa.volumeMm3, 'mm³')}
</table>
${sa.readers ? `<p>Readers' own spread: mean SD ${f3(sa.readers.meanReaderSdDiameterMm)} mm; the measurement lies within the readers' range for ${sa.readers.measuredWithinReaderRange} of ${sa.readers.nodules} nodules.</p>` : ''}
${r.blandAltmanSvg}
<h2>Per scan</h2>
<table aria-label="Per-scan results"><tr><th>series</th><th>TP</th><th>FP</th><th>FN</th><th>misses and false positives (lung window, mark circled)</th></tr>
${perScan}
</table>
<script type="application/json" id="metrics-json">${json}</script>
</body>
</html>
`;
}
