/** Store instances of the reading workflow and the Evaluation page, bound to `window.api`. */
import { createEvalStore } from './store/eval-store';
import { createFindingsStore } from './store/findings-store';

export const findingsStore = createFindingsStore(window.api);
export const evalStore = createEvalStore(window.api);

// An automatic analysis of the series being read finished: show it (the reader had none yet).
window.api.on('dimse.autoAnalysis', (a) => {
  const f = findingsStore.getState();
  if (a.state.kind === 'done' && f.key === a.key && f.status.kind === 'none') void f.open(a.key);
});
