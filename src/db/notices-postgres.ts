import type pg from "pg";
import type { EngineLog } from "./driver.js";

export const NOTICE_CHANNEL = "shop_events";

/**
 * One connection per listener LISTENs and hands each notice on. When the
 * database drops it (a restart), it is replaced, retrying every second until
 * the database answers again; notices sent meanwhile are lost, which costs
 * subscribers one update, not a wrong one (they re-read on the next notice).
 */
export async function listenForNotices(pool: pg.Pool, onNotice: (payload: string) => void, log: EngineLog): Promise<() => Promise<void>> {
  let client: pg.PoolClient | undefined;
  let reconnecting: NodeJS.Timeout | undefined;
  let stopped = false;

  const connect = async (): Promise<void> => {
    const connection = await pool.connect();
    connection.on("notification", (message) => onNotice(message.payload ?? ""));
    let lost = false;
    connection.on("error", (error) => {
      if (lost) return;
      lost = true;
      log.warn({ err: error }, "change-notice listener lost its connection; reconnecting");
      connection.release(error);
      if (client === connection) client = undefined;
      reconnect();
    });
    await connection.query(`LISTEN ${NOTICE_CHANNEL}`);
    if (stopped) return void connection.release();
    client = connection;
  };

  const reconnect = (): void => {
    if (stopped || reconnecting) return;
    reconnecting = setTimeout(() => {
      reconnecting = undefined;
      connect().then(
        () => log.info("change-notice listener reconnected"),
        () => reconnect(),
      );
    }, 1_000);
    reconnecting.unref();
  };

  await connect();
  return async () => {
    stopped = true;
    clearTimeout(reconnecting);
    const connection = client;
    client = undefined;
    if (!connection) return;
    await connection.query(`UNLISTEN ${NOTICE_CHANNEL}`).catch(() => {});
    connection.release();
  };
}
