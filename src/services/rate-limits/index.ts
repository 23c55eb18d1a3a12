import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Principal } from "../../auth/principal.js";
import type { Config } from "../../config.js";
import { postgresPool } from "../../db/index.js";
import { sqlTransaction } from "../../db/sql.js";
import { TransientError } from "../../errors.js";
import { requestContext } from "../../lib/request-context.js";
import { purgeExpiredCounters } from "./sql.js";

/**
 * Rate limits on the costly and abusable operations (docs/hardening.md), per
 * principal (per client address when anonymous), for both doors: the services
 * call `consumeRateLimit` first. On PostgreSQL the counters live in the
 * database ("RateLimit", rate-limiter-flexible's table), so every gateway
 * instance counts against the same budget; on SQLite, the one-process engine,
 * in memory. A store that cannot answer falls back to a per-process counter
 * rather than refusing every customer.
 */
export type LimitedOperation = "checkout" | "payment" | "apply_coupon" | "upload";

const WINDOW_S = 60;

let limiters = new Map<LimitedOperation, RateLimiterAbstract>();
let limitAdmins = false;

export function configureRateLimits(config: Config): void {
  const perMinute: Record<LimitedOperation, number> = {
    checkout: config.RATE_LIMIT_CHECKOUT_PER_MIN,
    payment: config.RATE_LIMIT_PAYMENT_PER_MIN,
    apply_coupon: config.RATE_LIMIT_APPLY_COUPON_PER_MIN,
    upload: config.RATE_LIMIT_UPLOAD_PER_MIN,
  };
  const pool = postgresPool();
  limitAdmins = config.RATE_LIMIT_ADMINS;
  limiters = new Map();
  for (const [operation, points] of Object.entries(perMinute) as [LimitedOperation, number][]) {
    if (points === 0) continue; // 0 switches the limit off
    const options = { keyPrefix: operation, points, duration: WINDOW_S };
    const memory = new RateLimiterMemory(options);
    limiters.set(
      operation,
      pool
        ? new RateLimiterPostgres({ ...options, storeClient: pool, storeType: "pool", tableName: "RateLimit", tableCreated: true, clearExpiredByTimeout: false, insuranceLimiter: memory })
        : memory,
    );
  }
}

/** The maintenance pass's share: expired counters go (a no-op on SQLite, where they live in memory). */
export async function purgeExpiredRateLimits(now = new Date()): Promise<number> {
  if (!postgresPool()) return 0;
  return sqlTransaction((sql) => purgeExpiredCounters(sql, now));
}

/** Counts one call of `operation` by the caller; past the budget, 429 RATE_LIMITED with Retry-After. Admins are exempt unless RATE_LIMIT_ADMINS. */
export async function consumeRateLimit(principal: Principal, operation: LimitedOperation): Promise<void> {
  const limiter = limiters.get(operation);
  if (!limiter || (principal.kind === "admin" && !limitAdmins)) return;
  const key = principal.kind === "anonymous" ? `ip:${requestContext()?.clientAddress ?? "unknown"}` : `${principal.kind}:${principal.sub}`;
  try {
    await limiter.consume(key);
  } catch (error) {
    if (!(error instanceof RateLimiterRes)) throw error;
    const retryAfter = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
    throw new TransientError("RATE_LIMITED", `Too many ${operation.replace("_", " ")} requests: at most ${limiter.points} a minute; retry in ${retryAfter} s`, retryAfter);
  }
}
