/**
 * Resolves after the event loop has processed what I/O is ready. Planning never waits on I/O by itself: a
 * use case that plans while its own statements are under way (a chunk being written, a batch committing)
 * takes a turn every few items, or those statements' answers would wait until the planning ends.
 */
export function turnOfEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
