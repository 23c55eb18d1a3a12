import type { Sql } from "../../db/sql.js";

export const statements = {
  // "expire" is epoch milliseconds, as rate-limiter-flexible stores it.
  purgeExpired: `DELETE FROM "RateLimit" WHERE "expire" < ?`,
};

/** Drops counters whose window ended (PostgreSQL keeps them in the table; SQLite's live in memory). */
export function purgeExpiredCounters(sql: Sql, now: Date): Promise<number> {
  return sql.run(statements.purgeExpired, [now.getTime()]);
}
