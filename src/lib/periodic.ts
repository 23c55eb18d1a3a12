export interface Periodic<T> {
  /** Runs the task now, after any run in progress (runs never overlap). */
  runOnce(): Promise<T>;
  /** Stops the timer and waits for the run in progress. */
  stop(): Promise<void>;
}

/** A background task on an unref'd timer: runs one at a time, a failure is reported and the next run goes on. */
export function startPeriodic<T>(intervalMs: number, task: () => Promise<T>, onError: (error: unknown) => T): Periodic<T> {
  let running: Promise<T> | undefined;
  const runOnce = (): Promise<T> => {
    const previous = running ?? Promise.resolve();
    const next = previous.then(() => task().catch(onError), () => task().catch(onError));
    running = next;
    return next;
  };
  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
