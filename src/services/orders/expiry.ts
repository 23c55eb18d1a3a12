import { sqlTransaction } from "../../db/sql.js";
import { cancelOrder } from "./lifecycle.js";
import { ordersDueForExpiry } from "./sql.js";

const BATCH = 200;
const EXPIRY = { reason: "reservation expired", by: "expiry", actor: "system:expiry" } as const;

/** Cancels every PENDING order whose reservation has lapsed; returns how many it cancelled. */
export async function expireReservations(now = new Date()): Promise<number> {
  let cancelled = 0;
  let after = 0;
  for (;;) {
    const due = await ordersDueForExpiry(now, after, BATCH);
    for (const id of due) {
      if (await sqlTransaction((sql) => cancelOrder(sql, id, "PENDING", EXPIRY, now))) cancelled++;
    }
    if (due.length < BATCH) return cancelled;
    after = due.at(-1)!;
  }
}
