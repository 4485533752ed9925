/**
 * Records the size of every call to `store[method]`, a batch method of a real store (one statement for the calls
 * of one moment), and runs the method itself unchanged. The store's group commits call it through `this`, so the
 * record shows how many calls each statement served. A test wrapper around the real store, not a mock.
 */
export function recordBatchSizes<S extends object, K extends keyof S>(store: S, method: K): number[] {
  const sizes: number[] = [];
  const original = store[method];
  if (typeof original !== 'function') throw new Error(`${String(method)} is not a method of the store`);
  Object.defineProperty(store, method, {
    configurable: true,
    value: (items: readonly unknown[]) => {
      sizes.push(items.length);
      return (original as (items: readonly unknown[]) => unknown).call(store, items);
    },
  });
  return sizes;
}
