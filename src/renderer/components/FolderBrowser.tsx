import { useEffect, useState } from 'react';
import type { FolderListing } from '../../shared/import-contract';
import type { IpcError } from '../../shared/ipc-contract';

/**
 * The browser preview's folder picker: the host lists sub-folders under the folders it may read
 * (no native dialog in a browser). "Import this folder" hands the chosen path on.
 */
export function FolderBrowser({
  onChoose,
  onClose,
}: {
  onChoose: (path: string) => void;
  onClose: () => void;
}) {
  const [listing, setListing] = useState<FolderListing | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [at, setAt] = useState<string | undefined>(undefined);

  useEffect(() => {
    let stale = false;
    void window.api.invoke('folders.list', at === undefined ? {} : { path: at }).then((r) => {
      if (stale) return;
      if (r.ok) {
        setListing(r.value);
        setError(null);
      } else setError(r.error);
    });
    return () => {
      stale = true;
    };
  }, [at]);

  return (
    <div className="folder-browser" role="dialog" aria-label="Choose a folder">
      <div className="folder-browser-head">
        <strong>Choose a folder</strong>
        <button type="button" aria-label="Close folder chooser" onClick={onClose}>
          ×
        </button>
      </div>
      <div className="folder-browser-path" data-testid="folder-browser-path">
        {listing?.path ?? 'Folders this preview may read'}
      </div>
      {error && (
        <div className="error" role="alert">
          {error.message}
        </div>
      )}
      <ul>
        {listing?.path && (
          <li>
            <button type="button" onClick={() => setAt(listing.parent ?? undefined)}>
              ⬑ Up
            </button>
          </li>
        )}
        {listing?.folders.map((f) => (
          <li key={f.path}>
            <button type="button" className="folder" onClick={() => setAt(f.path)}>
              📁 {f.name}
            </button>
          </li>
        ))}
        {listing && listing.folders.length === 0 && <li className="muted">No sub-folders.</li>}
      </ul>
      {listing?.path && (
        <div className="folder-browser-foot">
          <span className="muted">{listing.files} file(s) here</span>
          <button type="button" onClick={() => onChoose(listing.path as string)}>
            Import this folder
          </button>
        </div>
      )}
    </div>
  );
}
