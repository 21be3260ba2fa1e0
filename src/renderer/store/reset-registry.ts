/**
 * What "lock" clears in the renderer, in one place: every store that can hold decrypted data is
 * created through `resettableStore`, which registers its reset here, and locking calls
 * `lockResets.resetAll()`. A new store cannot be forgotten by a hand-kept list.
 */
import { createStore, type StateCreator, type StoreApi } from 'zustand/vanilla';

export interface ResetRegistry {
  /** Adds a reset; the returned function removes it again. */
  register(name: string, reset: () => void): () => void;
  /** Runs every reset (a failing one does not stop the others); returns the names that failed. */
  resetAll(): string[];
  names(): string[];
}

export function createResetRegistry(onError: (name: string, err: unknown) => void = () => {}): ResetRegistry {
  const resets = new Map<symbol, { name: string; reset: () => void }>();
  return {
    register(name, reset) {
      const id = Symbol(name);
      resets.set(id, { name, reset });
      return () => void resets.delete(id);
    },
    resetAll() {
      const failed: string[] = [];
      for (const { name, reset } of resets.values()) {
        try {
          reset();
        } catch (err) {
          failed.push(name);
          onError(name, err);
        }
      }
      return failed;
    },
    names: () => [...resets.values()].map((r) => r.name),
  };
}

/** The app's registry: locking the vault resets everything registered here. */
export const lockResets = createResetRegistry((name, err) => console.error(`reset of ${name} failed`, err));

/**
 * zustand's `createStore<T>()(initializer)`, plus a reset to the initial state registered under
 * `name`. Every renderer store that may hold patient data is made with this.
 */
export function resettableStore<T>(name: string, registry: ResetRegistry = lockResets) {
  return (initializer: StateCreator<T, [], []>): StoreApi<T> => {
    const store = createStore<T>()(initializer);
    registry.register(name, () => store.setState(store.getInitialState(), true));
    return store;
  };
}
