/**
 * Dropping a folder (or files) anywhere on the window imports it. Electron gives real paths (the
 * preload's webUtils.getPathForFile). A browser gives only names and sizes: the browser preview
 * then asks its host to find the one folder under the folders it may read that holds exactly these
 * files (folders.locate), and imports that; if none or several match, the study browser says so.
 */
import type { DroppedFolderQuery } from '../shared/import-contract';
import { droppedPaths, sampleDropped } from './store/import-problems';
import { studyStore } from './stores';

type Sample = DroppedFolderQuery['files'][number];

/** Files under a dropped directory entry, with paths relative to it (capped: a sample suffices). */
async function filesOf(dir: FileSystemDirectoryEntry, prefix = '', out: Sample[] = []): Promise<Sample[]> {
  const reader = dir.createReader();
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0 || out.length >= 2000) return out;
    for (const e of batch) {
      if (e.isFile) {
        const f = await new Promise<File>((ok, fail) => (e as FileSystemFileEntry).file(ok, fail));
        out.push({ relativePath: `${prefix}${e.name}`, size: f.size });
      } else if (e.isDirectory && out.length < 2000) {
        await filesOf(e as FileSystemDirectoryEntry, `${prefix}${e.name}/`, out);
      }
    }
  }
}

export async function importDrop(dt: DataTransfer): Promise<void> {
  const files = [...dt.files];
  const text = dt.getData('text/uri-list') || dt.getData('text/plain');
  const paths = droppedPaths(files, window.api.pathForFile, text);
  if (paths.length) return studyStore.getState().scanFolder(paths);
  // Entries must be taken while the drop event runs; they can be read afterwards.
  const entries = [...dt.items].map((i) => i.webkitGetAsEntry?.() ?? null).filter((e) => e !== null);
  const dir = entries.find((e) => e.isDirectory) as FileSystemDirectoryEntry | undefined;
  const store = studyStore.getState();
  if (!dir && files.length === 0) {
    store.addProblem({
      path: '(drop)',
      title: 'Nothing to import in this drop',
      reason: 'drop a folder of DICOM files, or type its path.',
    });
    return;
  }
  const info = await window.api.invoke('app.info', {});
  const what = dir ? `folder "${dir.name}"` : `${files.length} dropped file(s)`;
  if (!info.ok || !info.value.folderBrowser) {
    store.addProblem({
      path: dir?.name ?? files.map((f) => f.name).join(', '),
      title: 'The dropped items have no path',
      reason: `this window was not told where the ${what} is. Use Open folder… or type the path.`,
    });
    return;
  }
  const sample = sampleDropped(
    dir ? await filesOf(dir) : files.map((f) => ({ relativePath: f.name, size: f.size })),
  );
  if (sample.length === 0) {
    store.addProblem({
      path: dir?.name ?? '(drop)',
      title: 'The dropped folder is empty',
      reason: 'it holds no files.',
    });
    return;
  }
  const r = await window.api.invoke('folders.locate', {
    ...(dir ? { folderName: dir.name } : {}),
    files: sample,
  });
  if (!r.ok) {
    store.addProblem({
      path: dir?.name ?? '(drop)',
      title: 'Could not find the dropped folder',
      reason: r.error.message,
    });
  } else if (r.value.paths.length === 1) {
    await store.scanFolder(r.value.paths);
  } else {
    const roots = await window.api.invoke('folders.list', {});
    const where = roots.ok ? roots.value.roots.join(', ') : 'the folders it may read';
    store.addProblem({
      path: dir?.name ?? files.map((f) => f.name).join(', '),
      title: r.value.paths.length ? 'The dropped folder is in several places' : 'Dropped folder not found',
      reason: r.value.paths.length
        ? `${r.value.paths.join(' and ')} both hold these files: choose one with Browse… or type its path.`
        : `a browser does not say where a dropped ${what.startsWith('folder') ? 'folder' : 'file'} is; the preview looked for it under ${where} and did not find it. Use Browse… or type its path.`,
    });
  }
}
