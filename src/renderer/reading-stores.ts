/** Store instances of the reading workflow and the Evaluation page, bound to `window.api`. */
import { createEvalStore } from './store/eval-store';
import { createFindingsStore } from './store/findings-store';

export const findingsStore = createFindingsStore(window.api);
export const evalStore = createEvalStore(window.api);
