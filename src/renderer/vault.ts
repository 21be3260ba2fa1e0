/**
 * The app's vault store instance and what locking means in the renderer: every registered store reset, the
 * viewer's decoded volumes and images purged, the test landmark hook dropped. Also the lock hotkey
 * (Ctrl/Cmd+L) and the activity signal that keeps the idle timer in the main process from firing
 * while the user reads.
 */
import { useStore } from 'zustand';
import { cache } from '@cornerstonejs/core';
import { annotation } from '@cornerstonejs/tools';
import { createVaultStore, type VaultState } from './store/vault-store';
import { lockResets } from './store/reset-registry';
import { studyStore } from './stores';
import { hotkeyAction } from './viewer/hotkeys';

/** Cornerstone's caches; called once the workspace (and its engine) has unmounted. */
export function purgeViewerCaches(): void {
  try {
    annotation.state.removeAllAnnotations();
  } catch {
    // tools not initialised yet: nothing to remove
  }
  cache.purgeCache();
}

function clearDecrypted(): void {
  // Every store made with resettableStore registered itself (src/renderer/store/reset-registry).
  lockResets.resetAll();
  // The test-only landmark hook (absent from production builds) must not outlive the data.
  if (import.meta.env.MODE === 'test') delete (window as unknown as Record<string, unknown>).__pulmolens;
}

export const vaultStore = createVaultStore(window.api, {
  cleared: clearDecrypted,
  unlocked: () => void studyStore.getState().refresh(),
});

export const useVault = <T>(select: (s: VaultState) => T): T => useStore(vaultStore, select);

window.api.on('vault.locked', (p) => vaultStore.getState().locked(p.reason));

window.addEventListener(
  'keydown',
  (e) => {
    const ctrl = e.ctrlKey || e.metaKey;
    if (ctrl && !e.altKey && !e.shiftKey && hotkeyAction(e.key, { ctrl })?.kind === 'lock') {
      if (vaultStore.getState().phase.kind !== 'unlocked') return;
      e.preventDefault();
      e.stopPropagation();
      void vaultStore.getState().lock();
    }
  },
  { capture: true },
);

// Reading (scrolling, measuring) makes no vault call; tell the main process the user is here,
// at most twice a minute.
const TOUCH_EVERY_MS = 30_000;
let lastTouch = 0;
const activity = (): void => {
  if (vaultStore.getState().phase.kind !== 'unlocked') return;
  const now = Date.now();
  if (now - lastTouch < TOUCH_EVERY_MS) return;
  lastTouch = now;
  void window.api.invoke('vault.touch', {});
};
for (const ev of ['pointerdown', 'keydown', 'wheel'] as const) {
  window.addEventListener(ev, activity, { capture: true, passive: true });
}
