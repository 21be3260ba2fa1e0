/**
 * How a finding's margin reads on screen and in reports. "not assessed" is a state of its own: the
 * shipped characterizer's margin output is not validated (training/attribute_check.py), so a model
 * finding carries no margin until the reader gives one, and a missing "spiculated" must never read
 * as "not spiculated".
 */
export function marginLabel(spiculated: boolean | null): string {
  return spiculated === null ? 'margin not assessed' : marginChoiceOf(spiculated);
}

/** The review form's margin choice: the reader's call, or none given yet. */
export type MarginChoice = 'not assessed' | 'not spiculated' | 'spiculated';

export function marginChoiceOf(spiculated: boolean | null): MarginChoice {
  return spiculated === null ? 'not assessed' : spiculated ? 'spiculated' : 'not spiculated';
}

/** The decision's `spiculated` for a choice: absent when the reader gave none. */
export function marginCallOf(choice: MarginChoice): { spiculated?: boolean } {
  return choice === 'not assessed' ? {} : { spiculated: choice === 'spiculated' };
}
