/**
 * The work requests have started and not finished, so a graceful shutdown
 * closes the database only after it (or after its deadline). A handler can
 * outlive its connection: a client that gives up does not stop a checkout
 * that has already charged the card, and that checkout must still record the
 * payment.
 */
const running = new Set<Promise<unknown>>();

/** Tracks a handler's promise until it settles; returns it unchanged. */
export function trackWork<T>(work: T | Promise<T>): T | Promise<T> {
  if (!(work instanceof Promise)) return work;
  running.add(work);
  const done = () => running.delete(work);
  work.then(done, done);
  return work;
}

/** Waits until no tracked work is left, or `timeoutMs` passes; returns how many are still running. */
export async function settleWork(timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (running.size > 0 && Date.now() < deadline) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((resolve) => (timer = setTimeout(resolve, deadline - Date.now())));
    await Promise.race([Promise.allSettled([...running]), timeout]);
    clearTimeout(timer);
  }
  return running.size;
}
