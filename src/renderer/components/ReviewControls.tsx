import { useState } from 'react';
import type { NoduleType } from '../../common/findings/findings-document';
import type { ReviewedFinding } from '../../common/review';
import type { DecisionInput } from '../store/findings-store';

const TYPES: NoduleType[] = ['solid', 'part-solid', 'ground-glass'];

/** Accept, reject or edit the selected finding (size and type; category and risk follow live). */
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
  const [note, setNote] = useState('');
  const l = Number(long);
  const s = Number(short);
  const valid = l > 0 && s > 0 && s <= l;
  if (row.source === 'reader') return <div className="muted">Added by hand ({row.finding.id}).</div>;
  return (
    <div className="review-controls" aria-label="Review">
      <div className="buttons">
        <button onClick={() => onDecide({ kind: 'accepted' })} aria-pressed={row.status === 'accepted'}>
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
          if (valid) onDecide({ kind: 'edited', measurement: { longAxisMm: l, shortAxisMm: s }, type });
        }}
      >
        <label>
          Long mm{' '}
          <input aria-label="Long axis mm" value={long} onChange={(e) => setLong(e.target.value)} size={4} />
        </label>
        <label>
          Short mm{' '}
          <input
            aria-label="Short axis mm"
            value={short}
            onChange={(e) => setShort(e.target.value)}
            size={4}
          />
        </label>
        <label>
          Type{' '}
          <select
            aria-label="Nodule type"
            value={type}
            onChange={(e) => setType(e.target.value as NoduleType)}
          >
            {TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
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
