/** Window/level presets as radiologists know them (centre/width in HU), keyed 1-4 like OHIF. */
export interface WindowPreset {
  id: 'lung' | 'mediastinum' | 'soft-tissue' | 'bone';
  label: string;
  hotkey: '1' | '2' | '3' | '4';
  center: number;
  width: number;
}

export const WINDOW_PRESETS: readonly WindowPreset[] = [
  { id: 'lung', label: 'Lung', hotkey: '1', center: -600, width: 1500 },
  { id: 'mediastinum', label: 'Mediastinum', hotkey: '2', center: 50, width: 350 },
  { id: 'soft-tissue', label: 'Soft tissue', hotkey: '3', center: 40, width: 400 },
  { id: 'bone', label: 'Bone', hotkey: '4', center: 480, width: 2500 },
];

export function presetById(id: WindowPreset['id']): WindowPreset {
  const p = WINDOW_PRESETS.find((x) => x.id === id);
  if (!p) throw new Error(`unknown preset ${id}`);
  return p;
}

/** Centre/width -> the lower/upper HU bounds Cornerstone calls a VOI range. */
export function windowToRange(center: number, width: number): { lower: number; upper: number } {
  return { lower: center - width / 2, upper: center + width / 2 };
}

export function rangeToWindow(lower: number, upper: number): { center: number; width: number } {
  return { center: (lower + upper) / 2, width: upper - lower };
}
