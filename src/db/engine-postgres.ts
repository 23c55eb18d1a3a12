import type pg from "pg";
import { RateLimiterMemory, RateLimiterPostgres } from "rate-limiter-flexible";
import type { Engine } from "./driver.js";
import { listenForNotices, NOTICE_CHANNEL } from "./notices-postgres.js";
import { postgresStatement } from "./pg-statements.js";
import { postgresParams } from "./rows.js";

/**
 * PostgreSQL serves many instances: notices go through NOTIFY, locks are
 * advisory locks, rate-limit counters live in the "RateLimit" table
 * (rate-limiter-flexible's), with a per-process counter as insurance when the
 * table cannot answer. All of it on the driver pool, beside Prisma's.
 */
export function postgresEngine(pool: pg.Pool): Engine {
  return {
    writeBatch: (fn) =>
      onConnection(pool, async (client) => {
        await client.query("BEGIN");
        try {
          const result = await fn({
            run: async (text, params) => (await client.query({ ...postgresStatement(text), values: postgresParams(params) })).rowCount ?? 0,
          });
          await client.query("COMMIT");
          return result;
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {});
          throw error;
        }
      }),
    async publish(payload) {
      await pool.query("SELECT pg_notify($1, $2)", [NOTICE_CHANNEL, payload]);
    },
    listen: (onNotice, log) => listenForNotices(pool, onNotice, log),
    exclusive: (lock, pass) =>
      onConnection(pool, async (client) => {
        const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [lock]);
        if (rows[0]?.locked !== true) return undefined;
        try {
          return await pass();
        } finally {
          await client.query("SELECT pg_advisory_unlock($1)", [lock]);
        }
      }),
    rateLimiter: (options) =>
      new RateLimiterPostgres({
        ...options,
        storeClient: pool,
        storeType: "pool",
        tableName: "RateLimit",
        tableCreated: true,
        clearExpiredByTimeout: false,
        insuranceLimiter: new RateLimiterMemory(options),
      }),
  };
}

async function onConnection<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}
