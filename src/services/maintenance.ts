import type { Logger } from "../lib/logger.js";
import { startPeriodic } from "../lib/periodic.js";
import { purgeExpiredIdempotencyKeys } from "./idempotency/keys.js";
import { expireReservations } from "./orders/expiry.js";

export interface Maintenance {
  /** One pass now (also what the timer runs). */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The periodic housekeeping: lapsed stock reservations are released and expired
 * idempotency keys purged. Each task is a conditional database update, so
 * several processes may run it at once without doing anything twice.
 */
export function startMaintenance(intervalMs: number, logger: Logger): Maintenance {
  return startPeriodic(
    intervalMs,
    async () => {
      const cancelled = await expireReservations();
      const purged = await purgeExpiredIdempotencyKeys();
      if (cancelled || purged) logger.info({ cancelled, purged }, "maintenance pass");
    },
    (error) => logger.error({ err: error }, "maintenance pass failed"),
  );
}
