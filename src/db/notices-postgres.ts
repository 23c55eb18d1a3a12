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
  let current: { connection: pg.PoolClient; release: (error?: Error) => void } | undefined;
  let reconnecting: NodeJS.Timeout | undefined;
  let stopped = false;

  const connect = async (): Promise<void> => {
    const connection = await pool.connect();
    // Released once: by stop, or when the connection is lost; an error after that is the pool's to handle.
    let released = false;
    const release = (error?: Error) => {
      if (released) return;
      released = true;
      connection.release(error);
    };
    connection.on("notification", (message) => onNotice(message.payload ?? ""));
    connection.on("error", (error) => {
      if (released) return;
      log.warn({ err: error }, "change-notice listener lost its connection; reconnecting");
      release(error);
      if (current?.connection === connection) current = undefined;
      reconnect();
    });
    await connection.query(`LISTEN ${NOTICE_CHANNEL}`);
    if (stopped) return release();
    current = { connection, release };
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
    const listening = current;
    current = undefined;
    if (!listening) return;
    await listening.connection.query(`UNLISTEN ${NOTICE_CHANNEL}`).catch(() => {});
    listening.release();
  };
}
