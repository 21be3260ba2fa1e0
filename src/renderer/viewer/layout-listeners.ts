/**
 * Listeners that live exactly as long as one viewer layout. Cornerstone reuses the same elements
 * across layouts, so listeners bound for a layout must go when the next one is built (or the
 * engine is destroyed); one AbortController per layout removes them all at once.
 */
export type BindListener = (target: EventTarget, type: string, listener: EventListener) => void;

export class LayoutListenerScope {
  private controller: AbortController | null = null;

  /** Ends the previous layout's listeners and returns the binder for the new layout's. */
  renew(): BindListener {
    this.controller?.abort();
    const { signal } = (this.controller = new AbortController());
    return (target, type, listener) => target.addEventListener(type, listener, { signal });
  }

  dispose(): void {
    this.controller?.abort();
    this.controller = null;
  }
}
