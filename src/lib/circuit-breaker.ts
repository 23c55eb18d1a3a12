/**
 * A consecutive-failure circuit breaker. CLOSED: calls pass. After
 * `failureThreshold` failures in a row: OPEN, calls fail fast without touching
 * the dependency. After `resetTimeoutMs`: HALF_OPEN, one trial call passes; its
 * success closes the circuit, its failure opens it again.
 */
export type BreakerState = "CLOSED" | "OPEN" | "HALF_OPEN";

export class CircuitOpenError extends Error {
  constructor(readonly retryAfterMs: number) {
    super("circuit open");
    this.name = "CircuitOpenError";
  }
}

export interface BreakerOptions {
  failureThreshold: number;
  resetTimeoutMs: number;
  now?: () => number;
  onStateChange?: (state: BreakerState) => void;
}

export class CircuitBreaker {
  #state: BreakerState = "CLOSED";
  #failures = 0;
  #openedAt = 0;
  #trialInFlight = false;
  readonly #options: Required<Omit<BreakerOptions, "onStateChange">> & Pick<BreakerOptions, "onStateChange">;

  constructor(options: BreakerOptions) {
    this.#options = { now: Date.now, ...options };
  }

  get state(): BreakerState {
    if (this.#state === "OPEN" && this.#options.now() - this.#openedAt >= this.#options.resetTimeoutMs) {
      this.#setState("HALF_OPEN");
    }
    return this.#state;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const state = this.state;
    if (state === "OPEN" || (state === "HALF_OPEN" && this.#trialInFlight)) {
      const remaining = this.#options.resetTimeoutMs - (this.#options.now() - this.#openedAt);
      throw new CircuitOpenError(Math.max(remaining, 0));
    }
    const trial = state === "HALF_OPEN";
    if (trial) this.#trialInFlight = true;
    try {
      const result = await fn();
      this.#failures = 0;
      if (this.#state !== "CLOSED") this.#setState("CLOSED");
      return result;
    } catch (error) {
      this.#failures++;
      if (trial || this.#failures >= this.#options.failureThreshold) {
        this.#openedAt = this.#options.now();
        this.#setState("OPEN");
      }
      throw error;
    } finally {
      if (trial) this.#trialInFlight = false;
    }
  }

  #setState(state: BreakerState): void {
    this.#state = state;
    this.#options.onStateChange?.(state);
  }
}
