import { useEffect, useRef } from 'react';
import { hotkeyHelp } from '../viewer/hotkeys';

/** The "?" panel: every row comes from the one hotkey table, so it cannot drift from the keys. */
export function HotkeyHelp({ onClose }: { onClose: () => void }) {
  const rows = hotkeyHelp();
  const groups = [...new Set(rows.map((r) => r.group))];
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => closeRef.current?.focus(), []);
  return (
    <div className="hotkey-help" role="dialog" aria-label="Keyboard shortcuts">
      <div className="hotkey-help-head">
        <h3>Keyboard shortcuts</h3>
        <button ref={closeRef} type="button" onClick={onClose} aria-label="Close keyboard shortcuts">
          ×
        </button>
      </div>
      <div className="hotkey-help-body">
        {groups.map((g) => (
          <table key={g}>
            <caption>{g}</caption>
            <tbody>
              {rows
                .filter((r) => r.group === g)
                .map((r) => (
                  <tr key={`${r.keys.join('+')}-${r.label}`} data-hotkey={r.keys.join(' ')}>
                    <td>
                      {r.keys.map((k) => (
                        <kbd key={k}>{k}</kbd>
                      ))}
                    </td>
                    <td>
                      {r.label}
                      {r.note ? <span className="muted"> ({r.note})</span> : null}
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        ))}
        <p className="muted">
          Mouse: left button the chosen tool, right drag zoom, middle drag pan, wheel scroll.
        </p>
      </div>
    </div>
  );
}
