/**
 * The one hotkey table: the key handler and the "?" help panel both read it, so what the panel
 * lists is what the keys do. Keys follow OHIF's defaults (platform/core/src/defaults/
 * hotkeyBindings.js) where OHIF has one: I invert, C cine, space reset, Esc cancel, Backspace
 * delete, Home/End, ↑/↓ and 1-4 presets. Where we differ, the entry says why in `note`.
 */
import type { WindowPreset } from './presets';

export type HotkeyAction =
  | { kind: 'scroll'; delta: number }
  | { kind: 'first' }
  | { kind: 'last' }
  | { kind: 'preset'; hotkey: WindowPreset['hotkey'] }
  | { kind: 'reset' }
  | { kind: 'cancel' }
  | { kind: 'deleteMeasurement' }
  | { kind: 'invert' }
  | { kind: 'cine' }
  | { kind: 'help' }
  | { kind: 'analyse' }
  | { kind: 'nextFinding' }
  | { kind: 'previousFinding' }
  | { kind: 'heatmap' }
  | { kind: 'lock' };

export interface Hotkey {
  /** KeyboardEvent.key values that trigger the action. */
  keys: readonly string[];
  /** Needs Ctrl (Cmd on macOS) held. */
  ctrl?: true;
  action: HotkeyAction;
  /** What the help panel says the key does. */
  label: string;
  group: 'Navigation' | 'Window' | 'View' | 'Measurements' | 'Findings' | 'Vault' | 'Help';
  /** Why this binding differs from OHIF's, when it does. */
  note?: string;
}

export const HOTKEYS: readonly Hotkey[] = [
  { keys: ['ArrowUp'], action: { kind: 'scroll', delta: -1 }, label: 'Previous image', group: 'Navigation' },
  { keys: ['ArrowDown'], action: { kind: 'scroll', delta: 1 }, label: 'Next image', group: 'Navigation' },
  {
    keys: ['ArrowLeft'],
    action: { kind: 'scroll', delta: -1 },
    label: 'Previous image',
    group: 'Navigation',
    note: 'OHIF: previous viewport; here one series is read at a time',
  },
  {
    keys: ['ArrowRight'],
    action: { kind: 'scroll', delta: 1 },
    label: 'Next image',
    group: 'Navigation',
    note: 'OHIF: next viewport; here one series is read at a time',
  },
  {
    keys: ['PageUp'],
    action: { kind: 'scroll', delta: -10 },
    label: '10 images back',
    group: 'Navigation',
    note: 'OHIF: previous series',
  },
  {
    keys: ['PageDown'],
    action: { kind: 'scroll', delta: 10 },
    label: '10 images on',
    group: 'Navigation',
    note: 'OHIF: next series',
  },
  { keys: ['Home'], action: { kind: 'first' }, label: 'First image', group: 'Navigation' },
  { keys: ['End'], action: { kind: 'last' }, label: 'Last image', group: 'Navigation' },
  { keys: ['c', 'C'], action: { kind: 'cine' }, label: 'Cine on/off', group: 'Navigation' },
  { keys: ['1'], action: { kind: 'preset', hotkey: '1' }, label: 'Lung window', group: 'Window' },
  { keys: ['2'], action: { kind: 'preset', hotkey: '2' }, label: 'Mediastinum window', group: 'Window' },
  { keys: ['3'], action: { kind: 'preset', hotkey: '3' }, label: 'Soft-tissue window', group: 'Window' },
  { keys: ['4'], action: { kind: 'preset', hotkey: '4' }, label: 'Bone window', group: 'Window' },
  { keys: ['i', 'I'], action: { kind: 'invert' }, label: 'Invert grey scale', group: 'Window' },
  { keys: [' '], action: { kind: 'reset' }, label: 'Reset view and window', group: 'View' },
  {
    keys: ['Escape'],
    action: { kind: 'cancel' },
    label: 'Cancel the measurement being drawn',
    group: 'Measurements',
  },
  {
    keys: ['Delete', 'Backspace'],
    action: { kind: 'deleteMeasurement' },
    label: 'Delete the selected measurement (else the newest)',
    group: 'Measurements',
  },
  { keys: ['a', 'A'], action: { kind: 'analyse' }, label: 'Analyse the open series', group: 'Findings' },
  {
    keys: [']'],
    action: { kind: 'nextFinding' },
    label: 'Next finding (select and centre)',
    group: 'Findings',
    note: 'no OHIF default uses the brackets',
  },
  { keys: ['['], action: { kind: 'previousFinding' }, label: 'Previous finding', group: 'Findings' },
  {
    keys: ['h', 'H'],
    action: { kind: 'heatmap' },
    label: 'Show or hide the heatmap',
    group: 'Findings',
    note: 'OHIF: flip horizontally; H is kept for the heatmap, the app has no flip',
  },
  { keys: ['l', 'L'], ctrl: true, action: { kind: 'lock' }, label: 'Lock the vault now', group: 'Vault' },
  { keys: ['?'], action: { kind: 'help' }, label: 'Show or hide this list', group: 'Help' },
];

const byKey = new Map<string, HotkeyAction>();
for (const h of HOTKEYS) for (const k of h.keys) byKey.set(`${h.ctrl ? 'Ctrl+' : ''}${k}`, h.action);

/** The action of a key press; `ctrl` is Ctrl or Cmd held (other modifiers are the caller's call). */
export function hotkeyAction(key: string, mods: { ctrl?: boolean } = {}): HotkeyAction | null {
  return byKey.get(`${mods.ctrl ? 'Ctrl+' : ''}${key}`) ?? null;
}

/** How a key value is written in the help panel. */
export function keyLabel(key: string): string {
  const names: Record<string, string> = {
    ' ': 'Space',
    ArrowUp: '↑',
    ArrowDown: '↓',
    ArrowLeft: '←',
    ArrowRight: '→',
    PageUp: 'Page Up',
    PageDown: 'Page Down',
    Escape: 'Esc',
  };
  return names[key] ?? (key.length === 1 ? key.toUpperCase() : key);
}

/** The help panel's rows: one per table entry, keys that differ only in case written once. */
export function hotkeyHelp(): { group: Hotkey['group']; keys: string[]; label: string; note?: string }[] {
  return HOTKEYS.map((h) => ({
    group: h.group,
    keys: [...new Set(h.keys.map((k) => `${h.ctrl ? 'Ctrl+' : ''}${keyLabel(k)}`))],
    label: h.label,
    ...(h.note ? { note: h.note } : {}),
  }));
}

/** Inputs that take no typed text: a hotkey pressed while one has focus still belongs to the viewer. */
const NON_TEXT_INPUTS = new Set(['checkbox', 'radio', 'range', 'button', 'submit', 'reset', 'color', 'file']);

/**
 * Typing in a text field must not move the image. Only text-taking fields count: a checkbox or
 * slider keeps focus after a click (Cornerstone's mousedown does not move it), and the viewer's
 * keys, Delete included, must keep working then.
 */
export function isTypingTarget(target: EventTarget | null): boolean {
  const el = target as { tagName?: string; isContentEditable?: boolean; type?: string } | null;
  if (!el) return false;
  if (el.tagName === 'INPUT') return !NON_TEXT_INPUTS.has((el.type ?? 'text').toLowerCase());
  return el.isContentEditable === true || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT';
}
