/**
 * The viewer binds its per-viewport listeners once per layout. Before the fix every layout change
 * added five more to the same element and none went: after 5 changes one element held 25, and each
 * render ran its handlers five times. Real EventTargets (Node's, as the DOM's: `signal` removes).
 */
import { describe, expect, it } from 'vitest';
import { LayoutListenerScope } from '../../src/renderer/viewer/layout-listeners';

const EVENTS = [
  'CAMERA_MODIFIED',
  'VOI_MODIFIED',
  'STACK_NEW_IMAGE',
  'ANNOTATION_RENDERED',
  'IMAGE_RENDERED',
];

/** Binds the viewer's five listeners to the element, counting calls per event. */
function bindLayout(scope: LayoutListenerScope, el: EventTarget, calls: Map<string, number>) {
  const on = scope.renew();
  for (const ev of EVENTS) on(el, ev, () => calls.set(ev, (calls.get(ev) ?? 0) + 1));
}

describe('viewer listeners per layout', () => {
  it('after 5 layout changes the element runs each handler once per event (5 listeners, not 25)', () => {
    const scope = new LayoutListenerScope();
    const el = new EventTarget();
    const calls = new Map<string, number>();
    for (let i = 0; i < 6; i++) bindLayout(scope, el, calls);
    for (const ev of EVENTS) el.dispatchEvent(new Event(ev));
    expect([...calls.values()].reduce((a, b) => a + b, 0)).toBe(5);
    expect(Object.fromEntries(calls)).toEqual(Object.fromEntries(EVENTS.map((e) => [e, 1])));
  });

  it('dispose (engine destroyed) leaves no listener on any element of the last layout', () => {
    const scope = new LayoutListenerScope();
    const els = [new EventTarget(), new EventTarget(), new EventTarget()];
    const calls = new Map<string, number>();
    const on = scope.renew();
    for (const el of els) for (const ev of EVENTS) on(el, ev, () => calls.set(ev, (calls.get(ev) ?? 0) + 1));
    scope.dispose();
    for (const el of els) for (const ev of EVENTS) el.dispatchEvent(new Event(ev));
    expect(calls.size).toBe(0);
  });
});
