import type { Sql } from "../../db/sql.js";

export const statements = {
  // "expire" is epoch milliseconds, as rate-limiter-flexible stores it.
  purgeExpired: `DELETE FROM "RateLimit" WHERE "expire" < ?`,
};

/** Drops counters whose window ended (an engine that keeps them in memory has none here). */
export function purgeExpiredCounters(sql: Sql, now: Date): Promise<number> {
  return sql.run(statements.purgeExpired, [now.getTime()]);
}
