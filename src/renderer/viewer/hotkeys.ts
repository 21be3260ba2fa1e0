/** OHIF-style hotkeys as data: a key press maps to one viewer action. */
import type { WindowPreset } from './presets';

export type HotkeyAction =
  | { kind: 'scroll'; delta: number }
  | { kind: 'first' }
  | { kind: 'last' }
  | { kind: 'preset'; hotkey: WindowPreset['hotkey'] }
  | { kind: 'reset' }
  | { kind: 'cancel' }
  | { kind: 'deleteMeasurement' };

export function hotkeyAction(key: string): HotkeyAction | null {
  switch (key) {
    case 'ArrowUp':
    case 'ArrowLeft':
      return { kind: 'scroll', delta: -1 };
    case 'ArrowDown':
    case 'ArrowRight':
      return { kind: 'scroll', delta: 1 };
    case 'PageUp':
      return { kind: 'scroll', delta: -10 };
    case 'PageDown':
      return { kind: 'scroll', delta: 10 };
    case 'Home':
      return { kind: 'first' };
    case 'End':
      return { kind: 'last' };
    case '1':
    case '2':
    case '3':
    case '4':
      return { kind: 'preset', hotkey: key };
    case ' ':
      return { kind: 'reset' };
    case 'Escape':
      return { kind: 'cancel' };
    case 'Backspace':
    case 'Delete':
      return { kind: 'deleteMeasurement' };
    default:
      return null;
  }
}

/** Typing in a text field must not move the image. */
export function isTypingTarget(target: EventTarget | null): boolean {
  const el = target as { tagName?: string; isContentEditable?: boolean } | null;
  if (!el) return false;
  return (
    el.isContentEditable === true ||
    el.tagName === 'INPUT' ||
    el.tagName === 'TEXTAREA' ||
    el.tagName === 'SELECT'
  );
}
