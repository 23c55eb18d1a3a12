import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Principal } from "../../auth/principal.js";
import type { Config } from "../../config.js";
import { engine, sqlTransaction } from "../../db/index.js";
import { TransientError } from "../../errors.js";
import { requestContext } from "../../lib/request-context.js";
import { purgeExpiredCounters } from "./sql.js";

/**
 * Rate limits on the costly and abusable operations (docs/hardening.md), per
 * principal (per client address when anonymous), for both doors: the services
 * call `consumeRateLimit` first. The counters live where the engine keeps
 * them (`Engine.rateLimiter`): on PostgreSQL in the database, so every gateway
 * instance counts against the same budget, with a per-process counter as
 * insurance rather than refusing every customer; on SQLite, the one-process
 * engine, in memory.
 */
export type LimitedOperation = "checkout" | "payment" | "apply_coupon" | "upload" | "cancel";

const WINDOW_S = 60;

let limiters = new Map<LimitedOperation, RateLimiterAbstract>();
let limitAdmins = false;

export function configureRateLimits(config: Config): void {
  const perMinute: Record<LimitedOperation, number> = {
    checkout: config.RATE_LIMIT_CHECKOUT_PER_MIN,
    payment: config.RATE_LIMIT_PAYMENT_PER_MIN,
    apply_coupon: config.RATE_LIMIT_APPLY_COUPON_PER_MIN,
    upload: config.RATE_LIMIT_UPLOAD_PER_MIN,
    cancel: config.RATE_LIMIT_CANCEL_PER_MIN,
  };
  limitAdmins = config.RATE_LIMIT_ADMINS;
  limiters = new Map();
  for (const [operation, points] of Object.entries(perMinute) as [LimitedOperation, number][]) {
    if (points === 0) continue; // 0 switches the limit off
    limiters.set(operation, engine().rateLimiter({ keyPrefix: operation, points, duration: WINDOW_S }));
  }
}

/** The maintenance pass's share: expired counters go (none are stored where the engine keeps them in memory). */
export async function purgeExpiredRateLimits(now = new Date()): Promise<number> {
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
