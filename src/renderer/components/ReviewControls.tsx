import { useState } from 'react';
import type { NoduleType } from '../../common/findings/findings-document';
import { marginCallOf, marginChoiceOf, type MarginChoice } from '../../common/findings/margin';
import type { ReviewedFinding } from '../../common/review';
import type { DecisionInput } from '../store/findings-store';

const TYPES: NoduleType[] = ['solid', 'part-solid', 'ground-glass'];
const MARGINS: MarginChoice[] = ['not assessed', 'not spiculated', 'spiculated'];

/**
 * Accept, reject or edit the selected finding (size, type and, for a part-solid nodule, its solid
 * component; category and risk follow live). The margin the reader picks goes with Accept or Save
 * edit: the model does not assess it, and Lung-RADS 4X and the Brock risk depend on it.
 */
export function ReviewControls({
  row,
  onDecide,
  onNote,
}: {
  row: ReviewedFinding;
  onDecide: (d: DecisionInput) => void;
  onNote: (text: string) => void;
}) {
  const f = row.finding;
  const [long, setLong] = useState(String(f.longAxisMm));
  const [short, setShort] = useState(String(f.shortAxisMm));
  const [type, setType] = useState<NoduleType>(f.type);
  const [solid, setSolid] = useState(f.solidComponentMm !== undefined ? String(f.solidComponentMm) : '');
  const [margin, setMargin] = useState<MarginChoice>(marginChoiceOf(f.spiculated));
  const [note, setNote] = useState('');
  const l = Number(long);
  const s = Number(short);
  const solidMm = Number(solid);
  // A part-solid nodule is categorised by its solid component: the edit needs one (0 allowed).
  const solidValid = type !== 'part-solid' || (solid.trim() !== '' && solidMm >= 0 && solidMm <= (l + s) / 2);
  const valid = l > 0 && s > 0 && s <= l && solidValid;
  const call = marginCallOf(margin);
  if (row.source === 'reader') return <div className="muted">Added by hand ({row.finding.id}).</div>;
  return (
    <div className="review-controls" aria-label="Review">
      <Choice
        label="Margin"
        name="Margin"
        options={MARGINS}
        value={margin}
        onChange={setMargin}
        // Once a margin is given (by a validated model or a reader), "not assessed" is not a call.
        disabled={(m) => m === 'not assessed' && f.spiculated !== null}
      />
      <div className="buttons">
        <button
          onClick={() => onDecide({ kind: 'accepted', ...call })}
          aria-pressed={row.status === 'accepted'}
        >
          Accept
        </button>
        <button onClick={() => onDecide({ kind: 'rejected' })} aria-pressed={row.status === 'rejected'}>
          Reject
        </button>
      </div>
      <form
        className="edit"
        onSubmit={(e) => {
          e.preventDefault();
          if (!valid) return;
          onDecide({
            kind: 'edited',
            measurement: {
              longAxisMm: l,
              shortAxisMm: s,
              ...(type === 'part-solid' ? { solidComponentMm: solidMm } : {}),
            },
            type,
            ...call,
          });
        }}
      >
        <MmInput label="Long mm" name="Long axis mm" value={long} onChange={setLong} />
        <MmInput label="Short mm" name="Short axis mm" value={short} onChange={setShort} />
        <Choice label="Type" name="Nodule type" options={TYPES} value={type} onChange={setType} />
        {type === 'part-solid' && (
          <MmInput label="Solid mm" name="Solid component mm" value={solid} onChange={setSolid} />
        )}
        <button type="submit" disabled={!valid}>
          Save edit
        </button>
      </form>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onNote(note);
          setNote('');
        }}
      >
        <input
          aria-label="Note"
          placeholder="Note on this finding"
          value={note}
          onChange={(e) => setNote(e.target.value)}
        />
        <button type="submit" disabled={!note.trim()}>
          Add note
        </button>
      </form>
    </div>
  );
}

function MmInput(p: { label: string; name: string; value: string; onChange: (v: string) => void }) {
  return (
    <label>
      {p.label}{' '}
      <input aria-label={p.name} value={p.value} onChange={(e) => p.onChange(e.target.value)} size={4} />
    </label>
  );
}

function Choice<T extends string>(p: {
  label: string;
  name: string;
  options: readonly T[];
  value: T;
  onChange: (v: T) => void;
  disabled?: (v: T) => boolean;
}) {
  return (
    <label>
      {p.label}{' '}
      <select aria-label={p.name} value={p.value} onChange={(e) => p.onChange(e.target.value as T)}>
        {p.options.map((o) => (
          <option key={o} disabled={p.disabled?.(o) ?? false}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}
