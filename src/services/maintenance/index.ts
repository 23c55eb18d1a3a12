import type { Logger } from "../../lib/logger.js";
import { startPeriodic } from "../../lib/periodic.js";
import { purgeExpiredIdempotencyKeys } from "../idempotency/index.js";
import { expireReservations } from "../orders/index.js";
import { reconcileGatewayCharges } from "../payments/reconcile.js";
import { purgeExpiredRateLimits } from "../rate-limits/index.js";
import { settleStalledRefunds } from "../refunds/index.js";

export interface Maintenance {
  /** One pass now (also what the timer runs). */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The periodic housekeeping: lapsed stock reservations are released, the card
 * gateway's charges reconciled with our payments (after the expiry, so a
 * cancelled order's orphan charge is refunded in the same pass), refunds a
 * crashed attempt left PENDING carried out, expired
 * idempotency keys and rate-limit counters purged. Each task is a conditional
 * database update (the reconciliation also takes a lock on PostgreSQL), so
 * several processes may run it at once without doing anything twice.
 */
export function startMaintenance(intervalMs: number, logger: Logger): Maintenance {
  return startPeriodic(
    intervalMs,
    async () => {
      const cancelled = await expireReservations();
      await reconcileGatewayCharges(logger);
      await settleStalledRefunds(logger);
      const purged = await purgeExpiredIdempotencyKeys();
      const counters = await purgeExpiredRateLimits();
      if (cancelled || purged || counters) logger.info({ cancelled, purged, counters }, "maintenance pass");
    },
    (error) => logger.error({ err: error }, "maintenance pass failed"),
  );
}
