/** The app's store instances, bound to `window.api` (the preload in Electron, the shim in tests). */
import { useStore } from 'zustand';
import { createStudyStore, type StudyState } from './store/study-store';
import { createViewerStore, type ViewerState } from './store/viewer-store';

export const studyStore = createStudyStore(window.api);
export const viewerStore = createViewerStore();

window.api.on('task.progress', (p) => studyStore.getState().onProgress(p.taskId, p));
// A study pushed by a PACS or scanner (Storage SCP) is in the vault: list it.
window.api.on('dimse.received', () => void studyStore.getState().refresh());
window.api.on('dimse.autoAnalysis', (a) => studyStore.getState().onAutoAnalysis(a));

export const useStudy = <T>(select: (s: StudyState) => T): T => useStore(studyStore, select);
export const useViewer = <T>(select: (s: ViewerState) => T): T => useStore(viewerStore, select);
