import type pg from "pg";

/**
 * PostgreSQL only (SQLite has no notifications: notices stay in-process
 * there), so nothing here is in `statements`, which every engine prepares.
 */
export const CHANNEL = "shop_events";

export async function notify(pool: pg.Pool, payload: string): Promise<void> {
  await pool.query("SELECT pg_notify($1, $2)", [CHANNEL, payload]);
}

export async function listen(client: pg.PoolClient): Promise<void> {
  await client.query(`LISTEN ${CHANNEL}`);
}

export async function unlisten(client: pg.PoolClient): Promise<void> {
  await client.query(`UNLISTEN ${CHANNEL}`);
}
