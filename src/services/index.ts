import type { Config } from "../config.js";
import { setSettings, type ServiceSettings } from "./common/settings.js";
import { configureFraudCheck } from "./payments/fraud.js";
import { configureRateLimits } from "./rate-limits/index.js";

/** Sets the services' knobs (and the fraud client) from the config; tests reconfigure with overrides. */
export function configureServices(config: Config): ServiceSettings {
  configureRateLimits(config);
  configureFraudCheck({
    latencyMs: config.FRAUD_CHECK_LATENCY_MS,
    jitterMs: config.FRAUD_CHECK_JITTER_MS,
    slowRate: config.FRAUD_CHECK_SLOW_RATE,
    failureRate: config.FRAUD_CHECK_FAILURE_RATE,
    timeoutMs: config.FRAUD_CHECK_TIMEOUT_MS,
    breakerFailureThreshold: config.FRAUD_BREAKER_FAILURE_THRESHOLD,
    breakerResetMs: config.FRAUD_BREAKER_RESET_MS,
    rejectThreshold: config.FRAUD_SCORE_REJECT_THRESHOLD,
  });
  return setSettings({
    idempotencyKeyTtlMs: config.IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000,
    idempotencyLockTimeoutMs: config.IDEMPOTENCY_LOCK_TIMEOUT_MS,
    reservationTtlMs: config.RESERVATION_TTL_MINUTES * 60_000,
    maxCheckoutItems: config.MAX_CHECKOUT_ITEMS,
    cardGateway: { latencyMs: config.CARD_GATEWAY_LATENCY_MS, timeoutMs: config.CARD_GATEWAY_TIMEOUT_MS, refundFailureRate: config.CARD_GATEWAY_REFUND_FAILURE_RATE },
    uploads: { dir: config.UPLOAD_DIR, maxBytes: config.BULK_UPLOAD_MAX_BYTES },
    shipping: { latencyMs: config.SHIPPING_LATENCY_MS, failureRate: config.SHIPPING_FAILURE_RATE, timeoutMs: config.SHIPPING_TIMEOUT_MS },
    fulfillmentMaxAttempts: config.FULFILLMENT_MAX_ATTEMPTS,
    email: { failureRate: config.EMAIL_FAILURE_RATE },
  });
}

