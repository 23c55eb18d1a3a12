import { TransientError } from "../../errors.js";
import { CircuitBreaker, CircuitOpenError, type BreakerState } from "../../lib/circuit-breaker.js";
import type { Cents } from "../../lib/money.js";
import { businessMetrics } from "../../lib/metrics.js";
import { assertOutsideTransaction, callProvider, simulatedLatency } from "./guard.js";

/**
 * The simulated external fraud service, with the original simulator's
 * behaviour as defaults: 2 s base latency, up to 3 s jitter, one call in ten
 * very slow (15-30 s). The client gives up after its timeout (AbortSignal) and
 * a circuit breaker stops calling a service that keeps failing.
 */
export interface FraudCheckSettings {
  latencyMs: number;
  jitterMs: number;
  slowRate: number;
  failureRate: number;
  timeoutMs: number;
  breakerFailureThreshold: number;
  breakerResetMs: number;
}

export interface FraudCheckResult {
  score: number;
  durationMs: number;
}

export class FraudCheckClient {
  readonly #settings: FraudCheckSettings;
  readonly #breaker: CircuitBreaker;
  readonly #random: () => number;

  constructor(settings: FraudCheckSettings, random: () => number = Math.random) {
    this.#settings = settings;
    this.#random = random;
    this.#breaker = new CircuitBreaker({
      failureThreshold: settings.breakerFailureThreshold,
      resetTimeoutMs: settings.breakerResetMs,
    });
  }

  get breakerState(): BreakerState {
    return this.#breaker.state;
  }

  async check(amountCents: Cents): Promise<FraudCheckResult> {
    // Before the breaker: a call from inside a transaction is a bug to surface, not an outage to count.
    assertOutsideTransaction("fraud check");
    const started = performance.now();
    const observe = (outcome: string) => businessMetrics.fraudCheckDuration.observe({ outcome }, (performance.now() - started) / 1000);
    try {
      const score = await this.#breaker.run(() => callProvider("fraud-service", "check", () => this.#call(amountCents)));
      observe("ok");
      return { score, durationMs: performance.now() - started };
    } catch (error) {
      observe(error instanceof CircuitOpenError ? "circuit_open" : "unavailable");
      if (error instanceof CircuitOpenError) {
        throw new TransientError(
          "FRAUD_CHECK_UNAVAILABLE",
          "The fraud check is unavailable (circuit open); nothing was charged, retry later",
          Math.max(1, Math.ceil(error.retryAfterMs / 1000)),
        );
      }
      throw new TransientError("FRAUD_CHECK_UNAVAILABLE", "The fraud check did not answer in time; nothing was charged, retry shortly", 2);
    }
  }

  async #call(amountCents: Cents): Promise<number> {
    const { latencyMs, jitterMs, slowRate, failureRate, timeoutMs } = this.#settings;
    const slow = this.#random() < slowRate;
    const delay = slow ? 15_000 + this.#random() * 15_000 : latencyMs + this.#random() * jitterMs;
    await simulatedLatency(delay, timeoutMs);
    if (this.#random() < failureRate) throw new Error("fraud service error");
    return fraudScore(amountCents);
  }
}

/** The original heuristic: risk rises for amounts over $1,000 and again over $5,000. */
export function fraudScore(amountCents: number): number {
  let score = 0.05;
  if (amountCents > 100_000) score += 0.35;
  if (amountCents > 500_000) score += 0.45;
  return Math.round(score * 100) / 100;
}
