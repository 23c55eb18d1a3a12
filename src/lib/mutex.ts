export class LockTimeoutError extends Error {
  constructor(waitedMs: number) {
    // The SQLITE_BUSY wording lets the database error mapper answer 503.
    super(`SQLITE_BUSY: database is busy (waited ${waitedMs} ms for the connection)`);
    this.name = "LockTimeoutError";
  }
}

/**
 * A FIFO async mutex. `acquire(timeoutMs)` gives up after timeoutMs instead of
 * queueing forever, so a held lock makes callers fail fast rather than pile up.
 */
export class Mutex {
  #locked = false;
  readonly #waiters: { grant: (release: () => void) => void }[] = [];

  acquire(timeoutMs = Infinity): Promise<() => void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: (release: () => void) => {
          if (timer) clearTimeout(timer);
          resolve(release);
        },
      };
      const timer =
        timeoutMs === Infinity
          ? undefined
          : setTimeout(() => {
              const index = this.#waiters.indexOf(waiter);
              if (index >= 0) this.#waiters.splice(index, 1);
              reject(new LockTimeoutError(timeoutMs));
            }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  async run<T>(fn: () => Promise<T>, timeoutMs = Infinity): Promise<T> {
    const release = await this.acquire(timeoutMs);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next.grant(this.#releaser());
      else this.#locked = false;
    };
  }
}
