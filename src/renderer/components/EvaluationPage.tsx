import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import type { EvalRunResult } from '../../shared/analysis-contract';
import { evalStore } from '../reading-stores';
import { studyStore } from '../stores';
import type { EvalInputs, Goto } from '../store/eval-store';
import { FrocPlot } from './FrocPlot';

const f3 = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(3));
const mm = (p: [number, number, number]) => p.map((v) => v.toFixed(1)).join(', ');

/** Opens a series of the evaluated folder in the viewer, centred on a spot. */
async function openSpot(studies: string, goto: Goto): Promise<void> {
  evalStore.getState().openSpot(goto);
  const find = () =>
    studyStore.getState().series.find((s) => s.metadata.seriesInstanceUid === goto.seriesInstanceUid);
  if (!find()) await studyStore.getState().scanFolder([studies]);
  const s = find();
  if (s) await studyStore.getState().openSeries(s.key);
}

interface Spot extends Goto {
  kind: 'miss' | 'false positive';
  label: string;
}

function spotsOf(result: EvalRunResult): Spot[] {
  const op = result.metrics.operatingPoint;
  const spots: Spot[] = [];
  for (const scan of result.metrics.perScan) {
    for (const m of scan.missed) {
      spots.push({
        kind: 'miss',
        seriesInstanceUid: scan.seriesInstanceUid,
        centerLps: m.centerLps,
        label: `${m.id}, ${m.diameterMm.toFixed(1)} mm`,
      });
    }
  }
  for (const scan of result.scans) {
    for (const c of scan.candidates) {
      if (c.match.kind !== 'FP' || op.threshold === null || c.candidate.probability < op.threshold) continue;
      spots.push({
        kind: 'false positive',
        seriesInstanceUid: scan.seriesInstanceUid,
        centerLps: c.candidate.centerLps,
        label: `${c.candidate.id}, p ${c.candidate.probability.toFixed(3)}`,
      });
    }
  }
  return spots;
}

type TextInput = Exclude<keyof EvalInputs, 'includeTrainingScans'>;

const ci = (c: [number, number] | null | undefined) => (c ? ` (95% CI ${f3(c[0])}–${f3(c[1])})` : '');

const FIELDS: { name: TextInput; label: string; placeholder: string }[] = [
  { name: 'studies', label: 'Studies folder', placeholder: '/folder/with/CT studies' },
  {
    name: 'findings',
    label: 'Precomputed findings folder (optional)',
    placeholder: '/folder with <uid>.json',
  },
  {
    name: 'threshold',
    label: "Threshold (optional; default: the model's operating point)",
    placeholder: '0.5',
  },
  {
    name: 'outDir',
    label: 'Results folder',
    placeholder: '/folder for metrics.json, froc.svg, candidates.csv',
  },
];

/** What a researcher must not overlook: intervals withheld, training scans, reference coverage. */
function EvaluationNotices({ metrics }: { metrics: EvalRunResult['metrics'] }) {
  const t = metrics.trainingScans;
  const r = metrics.reference;
  const notes: { id: string; text: string }[] = [];
  if (metrics.confidenceNote)
    notes.push({ id: 'confidence', text: `95% intervals ${metrics.confidenceNote}.` });
  if (!t.listed) {
    notes.push({
      id: 'training-scans',
      text: 'The model manifest does not list its training scans, so none can be flagged.',
    });
  } else if (t.series.length > 0) {
    notes.push({
      id: 'training-scans',
      text: t.inFigures
        ? `${t.series.length} scan(s) the model was trained on are included in these figures (optimistic): ${t.series.join(', ')}`
        : `${t.series.length} scan(s) the model was trained on were left out of these figures: ${t.series.join(', ')}`,
    });
  }
  if (r.annotatedSeriesNotFound > 0) {
    notes.push({
      id: 'annotated-not-found',
      text: `${r.annotatedSeriesNotFound} annotated series are not among the studies (the studies present were scored).`,
    });
  }
  if (r.seriesWithoutAnnotations.length > 0) {
    notes.push({
      id: 'without-annotations',
      text: `${r.seriesWithoutAnnotations.length} scan(s) have no annotation row and count as nodule-free: ${r.seriesWithoutAnnotations.join(', ')}`,
    });
  }
  if (notes.length === 0) return null;
  return (
    <ul aria-label="Evaluation notes" style={{ flexBasis: '100%', margin: 0 }}>
      {notes.map((n) => (
        <li key={n.id} data-note={n.id}>
          {n.text}
        </li>
      ))}
    </ul>
  );
}

/** The bias audit, as metrics.json has it. */
function SubgroupTable({ metrics }: { metrics: EvalRunResult['metrics'] }) {
  return (
    <table aria-label="Subgroups">
      <caption>Subgroups at threshold {f3(metrics.subgroups.threshold)}</caption>
      <thead>
        <tr>
          <th>Dimension</th>
          <th>Group</th>
          <th>Scans</th>
          <th>Nodules</th>
          <th>Detected</th>
          <th>Sensitivity (95% CI)</th>
          <th>FP/scan</th>
        </tr>
      </thead>
      <tbody>
        {metrics.subgroups.dimensions.flatMap((d) =>
          d.rows.map((r) => (
            <tr key={`${d.dimension}/${r.group}`} data-subgroup={`${d.dimension}/${r.group}`}>
              <td>{d.dimension}</td>
              <td>{r.group}</td>
              <td>{r.scans}</td>
              <td>{r.nodules}</td>
              <td>{r.detected}</td>
              <td title={r.ciNote ?? undefined}>
                {f3(r.sensitivity)}
                {r.sensitivityCI95 ? ci(r.sensitivityCI95) : r.ciNote ? ' (CI not meaningful)' : ''}
              </td>
              <td>{f3(r.fpPerScan)}</td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}

function SizeAgreementTable({ metrics }: { metrics: EvalRunResult['metrics'] }) {
  const s = metrics.sizeAgreement;
  const row = (what: string, a: typeof s.diameterMm, unit: string) =>
    a && (
      <tr>
        <th>{what}</th>
        <td>{a.n}</td>
        <td>
          {a.meanDifference.toFixed(2)} {unit}
        </td>
        <td>
          {a.limitsOfAgreement
            ? `${a.limitsOfAgreement[0].toFixed(2)} to ${a.limitsOfAgreement[1].toFixed(2)} ${unit}`
            : 'n/a (one hit)'}
        </td>
      </tr>
    );
  return (
    <table aria-label="Size agreement">
      <caption>Size agreement (measured − reference, hits at the operating point)</caption>
      <thead>
        <tr>
          <th />
          <th>Hits</th>
          <th>Mean difference</th>
          <th>95% limits of agreement</th>
        </tr>
      </thead>
      <tbody>
        {row('Diameter', s.diameterMm, 'mm')}
        {row('Volume', s.volumeMm3, 'mm³')}
        {s.readers && (
          <tr>
            <th>Readers</th>
            <td>{s.readers.nodules}</td>
            <td colSpan={2}>
              readers' own spread (mean SD) {s.readers.meanReaderSdDiameterMm.toFixed(2)} mm; measurement
              within the readers' range for {s.readers.measuredWithinReaderRange} of {s.readers.nodules}
            </td>
          </tr>
        )}
        {!s.diameterMm && (
          <tr>
            <td colSpan={4}>No hit with a measured diameter.</td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

/** A CSV chooser: the file is read here and its text sent over IPC (no typed paths). */
function CsvPicker({ label, which }: { label: string; which: 'annotations' | 'excluded' }) {
  const s = useStore(evalStore);
  const picked = s.files[which];
  return (
    <label style={{ display: 'contents' }}>
      <span>{label}</span>
      <input
        type="file"
        accept=".csv,text/csv"
        aria-label={label}
        onChange={async (e) => {
          const f = e.target.files?.[0];
          s.setFile(which, f ? { name: f.name, text: await f.text() } : null);
        }}
      />
      <span className="muted">{picked ? picked.name : ''}</span>
    </label>
  );
}

/** The site's reviews: score against them, or export them as labels for retraining. */
function ReviewLabelsExport() {
  const s = useStore(evalStore);
  const [outDir, setOutDir] = useState('');
  const [deid, setDeid] = useState(true);
  const st = s.exportStatus;
  return (
    <fieldset style={{ maxWidth: 900, marginTop: 12 }}>
      <legend>Export the site's review decisions as labels (LUNA16 CSV, world mm)</legend>
      <input
        aria-label="Labels folder"
        placeholder="/folder for annotations.csv, annotations_excluded.csv, decisions.csv"
        value={outDir}
        onChange={(e) => setOutDir(e.target.value)}
        style={{ width: 420 }}
      />{' '}
      <label>
        <input type="checkbox" checked={deid} onChange={(e) => setDeid(e.target.checked)} /> de-identified
        series UIDs
      </label>{' '}
      <button
        type="button"
        disabled={!outDir.trim() || st.kind === 'running'}
        onClick={() => void s.exportLabels(outDir, deid)}
      >
        Export labels
      </button>
      {st.kind === 'done' && (
        <div role="status">
          Wrote {st.labels} label(s) of {st.series} reviewed series: {st.files.join(', ')}
        </div>
      )}
      {st.kind === 'failed' && (
        <div role="alert" className="error">
          {st.error.code}: {st.error.message}
        </div>
      )}
    </fieldset>
  );
}

export function EvaluationPage() {
  const s = useStore(evalStore);
  const [nativeDialogs, setNativeDialogs] = useState(false);
  useEffect(() => {
    void window.api.invoke('app.info', {}).then((r) => r.ok && setNativeDialogs(r.value.nativeDialogs));
  }, []);
  const problem = s.problem();
  const status = s.status;
  const result = s.result;
  return (
    <div className="evaluation-page" style={{ padding: 12, overflow: 'auto', height: '100%' }}>
      <h2>Evaluation (LUNA16 rules)</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void s.run();
        }}
        style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr max-content', gap: 6, maxWidth: 900 }}
      >
        <span>Reference</span>
        <select
          aria-label="Reference"
          value={s.reference}
          onChange={(e) => s.setReference(e.target.value === 'reviews' ? 'reviews' : 'files')}
        >
          <option value="files">Annotation files (LUNA16 CSV)</option>
          <option value="reviews">This site's reviews in the vault</option>
        </select>
        <span />
        {s.reference === 'files' && (
          <>
            <CsvPicker label="Annotation CSV" which="annotations" />
            <CsvPicker label="Excluded CSV (optional)" which="excluded" />
          </>
        )}
        {FIELDS.filter((f) => s.reference === 'files' || (f.name !== 'studies' && f.name !== 'findings')).map(
          (f) => (
            <label key={f.name} style={{ display: 'contents' }}>
              <span>{f.label}</span>
              <input
                aria-label={f.label}
                placeholder={f.placeholder}
                value={s.inputs[f.name]}
                onChange={(e) => s.setInput(f.name, e.target.value)}
              />
              {nativeDialogs && (f.name === 'studies' || f.name === 'findings') ? (
                <button
                  type="button"
                  onClick={async () => {
                    const r = await window.api.invoke('dialog.openFolder', {});
                    const p = r.ok ? r.value.paths?.[0] : undefined;
                    if (p) s.setInput(f.name, p);
                  }}
                >
                  Choose…
                </button>
              ) : (
                <span />
              )}
            </label>
          ),
        )}
        <span />
        <label>
          <input
            type="checkbox"
            checked={s.inputs.includeTrainingScans === 'yes'}
            onChange={(e) => s.setInput('includeTrainingScans', e.target.checked ? 'yes' : '')}
          />{' '}
          Include the scans the model was trained on (optimistic; flagged either way)
        </label>
        <span />
        <span />
        <div>
          <button type="submit" disabled={problem !== null || status.kind === 'running'}>
            Run evaluation
          </button>{' '}
          {problem && <span className="muted">({problem})</span>}
        </div>
      </form>
      <ReviewLabelsExport />
      {status.kind === 'running' && (
        <div
          role="progressbar"
          aria-label="Evaluation progress"
          aria-valuenow={Math.round((100 * status.done) / Math.max(1, status.total))}
        >
          <div>{status.stage}</div>
          <progress max={Math.max(1, status.total)} value={status.done} style={{ width: 400 }} />
          <button onClick={() => void s.cancel()}>Cancel</button>
        </div>
      )}
      {status.kind === 'failed' && (
        <div role="alert" className="error">
          {status.error.code}: {status.error.message}
          {status.error.path ? ` (${status.error.path})` : ''}
        </div>
      )}
      {result && (
        <div
          className="eval-result"
          style={{ display: 'flex', flexWrap: 'wrap', alignItems: 'flex-start', gap: 16, marginTop: 12 }}
        >
          <FrocPlot curve={result.curve} metrics={result.metrics} />
          <EvaluationNotices metrics={result.metrics} />
          <table aria-label="Metrics">
            <tbody>
              <tr>
                <th>Scans</th>
                <td>{result.metrics.scans}</td>
              </tr>
              <tr>
                <th>Nodules</th>
                <td>{result.metrics.nodules}</td>
              </tr>
              <tr>
                <th>CPM</th>
                <td data-testid="cpm">
                  {f3(result.metrics.cpm)}
                  {ci(result.metrics.cpmCI95)}
                </td>
              </tr>
              {result.metrics.froc.fpPerScan.map((fp, i) => (
                <tr key={fp}>
                  <th>Sensitivity @ {fp} FP/scan</th>
                  <td>{f3(result.metrics.froc.sensitivity[i])}</td>
                </tr>
              ))}
              <tr>
                <th>Operating point</th>
                <td data-testid="operating-point-source">{result.metrics.operatingPointSource.label}</td>
              </tr>
              <tr>
                <th>Threshold</th>
                <td>{f3(result.metrics.operatingPoint.threshold)}</td>
              </tr>
              <tr>
                <th>Recall</th>
                <td data-testid="recall">{f3(result.metrics.operatingPoint.recall)}</td>
              </tr>
              <tr>
                <th>Precision</th>
                <td>{f3(result.metrics.operatingPoint.precision)}</td>
              </tr>
              <tr>
                <th>F1</th>
                <td>{f3(result.metrics.operatingPoint.f1)}</td>
              </tr>
              <tr>
                <th>FP/scan</th>
                <td>{f3(result.metrics.operatingPoint.fpPerScan)}</td>
              </tr>
              {result.metrics.operatingPointCI95 && (
                <tr>
                  <th>95% CI (bootstrap over scans)</th>
                  <td>
                    recall{ci(result.metrics.operatingPointCI95.recall)}, precision
                    {ci(result.metrics.operatingPointCI95.precision)}, FP/scan
                    {ci(result.metrics.operatingPointCI95.fpPerScan)}
                  </td>
                </tr>
              )}
              <tr data-testid="tuned-operating-point">
                <th>{result.metrics.tunedOperatingPoint.label}</th>
                <td>
                  threshold {f3(result.metrics.tunedOperatingPoint.threshold)}, recall{' '}
                  {f3(result.metrics.tunedOperatingPoint.recall)}, precision{' '}
                  {f3(result.metrics.tunedOperatingPoint.precision)}, F1{' '}
                  {f3(result.metrics.tunedOperatingPoint.f1)},{' '}
                  {f3(result.metrics.tunedOperatingPoint.fpPerScan)} FP/scan
                </td>
              </tr>
              <tr>
                <th>Model</th>
                <td>
                  {result.metrics.model.name} {result.metrics.model.version}
                </td>
              </tr>
              <tr>
                <th>Written to</th>
                <td>
                  <code>{result.outDir}</code>
                </td>
              </tr>
            </tbody>
          </table>
          <SubgroupTable metrics={result.metrics} />
          <SizeAgreementTable metrics={result.metrics} />
          <table aria-label="Per-scan results">
            <thead>
              <tr>
                <th>Series</th>
                <th>TP</th>
                <th>FP</th>
                <th>FN</th>
              </tr>
            </thead>
            <tbody>
              {result.metrics.perScan.map((p) => (
                <tr key={p.seriesInstanceUid} data-series-uid={p.seriesInstanceUid}>
                  <td title={p.seriesInstanceUid}>
                    …{p.seriesInstanceUid.slice(-16)}
                    {p.trainingScan && (
                      <span className="badge" title="The model was trained or tuned on this scan">
                        {' '}
                        training scan
                      </span>
                    )}
                  </td>
                  <td>{p.tp}</td>
                  <td>{p.fp}</td>
                  <td>{p.fn}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table aria-label="Misses and false positives">
            <thead>
              <tr>
                <th>Kind</th>
                <th>Series</th>
                <th>Where (LPS mm)</th>
                <th>What</th>
              </tr>
            </thead>
            <tbody>
              {spotsOf(result).map((sp, i) => (
                <tr
                  key={i}
                  data-spot-kind={sp.kind}
                  style={{ cursor: 'pointer' }}
                  title="Open in the viewer at this spot"
                  onClick={() => void openSpot(s.inputs.studies.trim(), sp)}
                >
                  <td>{sp.kind}</td>
                  <td>…{sp.seriesInstanceUid.slice(-12)}</td>
                  <td>{mm(sp.centerLps)}</td>
                  <td>{sp.label}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
