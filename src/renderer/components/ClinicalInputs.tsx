import { useState } from 'react';
import type { ClinicalChange } from '../../common/findings/clinical-inputs';
import { emphysemaIndexText, ENTERED_AGE_RANGE } from '../../common/findings/clinical-inputs';
import type { ClinicalFact, ClinicalRecord, EmphysemaIndex } from '../../common/findings/findings-document';
import type { FleischnerRisk } from '../../common/findings/fleischner';
import type { Sex } from '../../common/findings/brock';
import type { FindingsState } from '../store/findings-store';

function sourceText(f: ClinicalFact<unknown>): string {
  if (f.source === 'dicom') return 'from DICOM';
  if (f.source === 'assumed') return 'assumed (unknown)';
  return f.enteredBy ? `entered by ${f.enteredBy}` : 'entered';
}

function Source({ field, fact }: { field: keyof ClinicalRecord; fact: ClinicalFact<unknown> }) {
  return (
    <span className="muted clinical-source" data-testid={`clinical-source-${field}`}>
      {sourceText(fact)}
    </span>
  );
}

/**
 * The patient facts the risk models used, each with where it came from (DICOM, assumed, or the
 * reader who entered it). The reader corrects them here; the main process stores them in the vault
 * and every Brock risk and Fleischner line is recomputed. The LAA-950 emphysema index is shown with
 * its cut-off as a suggestion that becomes the Brock input only when the reader confirms it.
 */
export function ClinicalInputs({
  clinical,
  emphysema,
  saveState,
  onSave,
}: {
  clinical: ClinicalRecord | undefined;
  emphysema: EmphysemaIndex | undefined;
  saveState: FindingsState['clinicalSave'];
  onSave: (change: ClinicalChange) => void;
}) {
  const [age, setAge] = useState(clinical ? String(Math.round(clinical.ageYears.value)) : '');
  const [sex, setSex] = useState<Sex>(clinical?.sex.value ?? 'male');
  const [family, setFamily] = useState(clinical?.familyHistory.value ?? false);
  const [emph, setEmph] = useState(clinical?.emphysema.value ?? false);
  const [risk, setRisk] = useState<FleischnerRisk>(clinical?.fleischnerRisk.value ?? 'unknown');

  if (!clinical) {
    return (
      <section className="clinical-inputs" aria-label="Clinical inputs">
        <p className="muted">
          This analysis was stored before its clinical inputs were recorded: analyse again to see and edit
          them.
        </p>
      </section>
    );
  }

  const ageNumber = Number(age);
  const ageValid =
    /^\d+$/.test(age.trim()) && ageNumber >= ENTERED_AGE_RANGE.min && ageNumber <= ENTERED_AGE_RANGE.max;
  const change: ClinicalChange = {
    ...(ageValid && ageNumber !== Math.round(clinical.ageYears.value) ? { ageYears: ageNumber } : {}),
    ...(sex !== clinical.sex.value ? { sex } : {}),
    ...(family !== clinical.familyHistory.value ? { familyHistory: family } : {}),
    ...(emph !== clinical.emphysema.value ? { emphysema: emph } : {}),
    ...(risk !== clinical.fleischnerRisk.value ? { fleischnerRisk: risk } : {}),
  };
  const changed = Object.keys(change).length > 0;
  const saving = saveState?.kind === 'saving';
  const confirmed =
    emphysema?.lungFound === true &&
    clinical.emphysema.source === 'entered' &&
    clinical.emphysema.value === emphysema.suggested;

  return (
    <section className="clinical-inputs" aria-label="Clinical inputs">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (changed && ageValid) onSave(change);
        }}
      >
        <table>
          <caption>Clinical inputs (Brock risk, Fleischner)</caption>
          <tbody>
            <tr>
              <th scope="row">
                <label htmlFor="clinical-age">Age (years)</label>
              </th>
              <td>
                <input
                  id="clinical-age"
                  inputMode="numeric"
                  size={4}
                  value={age}
                  aria-invalid={!ageValid}
                  onChange={(e) => setAge(e.target.value)}
                />
                <Source field="ageYears" fact={clinical.ageYears} />
              </td>
            </tr>
            <tr>
              <th scope="row">
                <label htmlFor="clinical-sex">Sex</label>
              </th>
              <td>
                <select id="clinical-sex" value={sex} onChange={(e) => setSex(e.target.value as Sex)}>
                  <option value="female">female</option>
                  <option value="male">male</option>
                </select>
                <Source field="sex" fact={clinical.sex} />
              </td>
            </tr>
            <tr>
              <th scope="row">
                <label htmlFor="clinical-family">Family history of lung cancer</label>
              </th>
              <td>
                <input
                  id="clinical-family"
                  type="checkbox"
                  checked={family}
                  onChange={(e) => setFamily(e.target.checked)}
                />
                <Source field="familyHistory" fact={clinical.familyHistory} />
              </td>
            </tr>
            <tr>
              <th scope="row">
                <label htmlFor="clinical-emphysema">Emphysema</label>
              </th>
              <td>
                <input
                  id="clinical-emphysema"
                  type="checkbox"
                  checked={emph}
                  onChange={(e) => setEmph(e.target.checked)}
                />
                <Source field="emphysema" fact={clinical.emphysema} />
              </td>
            </tr>
            <tr>
              <th scope="row">
                <label htmlFor="clinical-fleischner">Fleischner risk</label>
              </th>
              <td>
                <select
                  id="clinical-fleischner"
                  value={risk}
                  onChange={(e) => setRisk(e.target.value as FleischnerRisk)}
                >
                  <option value="unknown">unknown (both rows)</option>
                  <option value="low">low</option>
                  <option value="high">high</option>
                </select>
                <Source field="fleischnerRisk" fact={clinical.fleischnerRisk} />
              </td>
            </tr>
          </tbody>
        </table>
        {!ageValid && (
          <div role="alert" className="error">
            Age: whole years from {ENTERED_AGE_RANGE.min} to {ENTERED_AGE_RANGE.max}.
          </div>
        )}
        <button type="submit" disabled={!changed || !ageValid || saving}>
          {saving ? 'Saving…' : 'Save clinical inputs'}
        </button>
      </form>
      {emphysema && (
        <div className="laa950">
          <div data-testid="laa950">{emphysemaIndexText(emphysema)}</div>
          {emphysema.lungFound &&
            (confirmed ? (
              <div className="muted" data-testid="laa950-confirmed">
                Confirmed: emphysema {emphysema.suggested ? 'yes' : 'no'} ({sourceText(clinical.emphysema)})
              </div>
            ) : (
              <button
                type="button"
                disabled={saving}
                onClick={() => onSave({ emphysema: emphysema.suggested })}
                title="Use the LAA-950 suggestion as the Brock emphysema input"
              >
                Confirm suggestion: emphysema {emphysema.suggested ? 'yes' : 'no'}
              </button>
            ))}
        </div>
      )}
      {saveState?.kind === 'failed' && (
        <div role="alert" className="error">
          Clinical inputs not saved: {saveState.error.message}
        </div>
      )}
    </section>
  );
}
