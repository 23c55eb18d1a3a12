
/** The knobs services need, set once at start from the config (tests pass overrides to the config). */
export interface ServiceSettings {
  idempotencyKeyTtlMs: number;
  idempotencyLockTimeoutMs: number;
  reservationTtlMs: number;
  maxCheckoutItems: number;
  cardGateway: { latencyMs: number; timeoutMs: number; refundFailureRate: number };
  uploads: { dir: string; maxBytes: number };
  shipping: { latencyMs: number; failureRate: number; timeoutMs: number };
  fulfillmentMaxAttempts: number;
  email: { failureRate: number };
}

let current: ServiceSettings | undefined;

/** Sets the knobs (services/index.ts's `configureServices` does, at start). */
export function setSettings(settings: ServiceSettings): ServiceSettings {
  current = Object.freeze(settings);
  return current;
}

export function settings(): ServiceSettings {
  if (!current) throw new Error("services not configured: call configureServices(config) first");
  return current;
}
