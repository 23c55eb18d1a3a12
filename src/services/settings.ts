import type { Config } from "../config.js";

/** The knobs services need, set once at start from the config (tests pass overrides to the config). */
export interface ServiceSettings {
  idempotencyKeyTtlMs: number;
  idempotencyLockTimeoutMs: number;
  reservationTtlMs: number;
  maxCheckoutItems: number;
  cardGateway: { latencyMs: number; timeoutMs: number };
}

let current: ServiceSettings | undefined;

export function configureServices(config: Config): ServiceSettings {
  current = Object.freeze({
    idempotencyKeyTtlMs: config.IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000,
    idempotencyLockTimeoutMs: config.IDEMPOTENCY_LOCK_TIMEOUT_MS,
    reservationTtlMs: config.RESERVATION_TTL_MINUTES * 60_000,
    maxCheckoutItems: config.MAX_CHECKOUT_ITEMS,
    cardGateway: { latencyMs: config.CARD_GATEWAY_LATENCY_MS, timeoutMs: config.CARD_GATEWAY_TIMEOUT_MS },
  });
  return current;
}

export function settings(): ServiceSettings {
  if (!current) throw new Error("services not configured: call configureServices(config) first");
  return current;
}
