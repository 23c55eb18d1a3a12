/**
 * B3: raw better-sqlite3 running the checkout's shape in a loop, with the same
 * two provider calls answering at once: claim an idempotency key, insert the
 * order and its item and decrement stock (one transaction); the fraud check (a
 * 0 ms call); open the payment (a transaction); the card charge (a 0 ms call
 * and the gateway's ledger row, in its own transaction); record the charge and
 * complete the key (a transaction). Returns checkouts per second.
 */
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";

/** A provider call set to answer at once: one turn of the event loop's microtasks, as the simulated services take. */
const instantCall = () => Promise.resolve();

export async function checkoutShapeBaseline(file: string, productId: number, seconds: number): Promise<number> {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000"); // it runs beside our server on the same file, in alternating slices
  const now = () => new Date().toISOString().replace("Z", "+00:00");
  const claim = db.prepare(
    `INSERT INTO "IdempotencyKey" (scope, operation, key, fingerprint, status, lockedUntil, expiresAt, createdAt, updatedAt)
     VALUES ('user:1', 'checkout', ?, 'f', 'IN_PROGRESS', ?, ?, ?, ?)`,
  );
  const order = db.prepare(
    `INSERT INTO "Order" (userId, status, subtotalCents, discountCents, totalCents, createdAt, updatedAt) VALUES (1, 'PENDING', 1000, 0, 1000, ?, ?)`,
  );
  const item = db.prepare(`INSERT INTO "OrderItem" (orderId, productId, quantity, unitPriceCents, lineTotalCents) VALUES (?, ?, 1, 1000, 1000)`);
  const stock = db.prepare(`UPDATE "Product" SET stockQuantity = stockQuantity - 1 WHERE id = ? AND stockQuantity >= 1`);
  const openPayment = db.prepare(
    `INSERT INTO "Payment" (orderId, status, amountCents, paymentMethod, createdAt, updatedAt) VALUES (?, 'PENDING', 1000, 'credit_card', ?, ?)`,
  );
  const ledger = db.prepare(
    `INSERT INTO "SimulatedGatewayCharge" (chargeId, idempotencyKey, amountCents, cardLast4, status, createdAt) VALUES (?, ?, 1000, '4242', 'succeeded', ?)`,
  );
  const recordCharge = db.prepare(`UPDATE "Payment" SET status = 'COMPLETED', gatewayChargeId = ?, updatedAt = ? WHERE id = ?`);
  const paid = db.prepare(`UPDATE "Order" SET status = 'PAID', updatedAt = ? WHERE id = ?`);
  const complete = db.prepare(`UPDATE "IdempotencyKey" SET status = 'COMPLETED', responseStatus = 201, responseBody = ? WHERE id = ?`);
  const placeOrder = db.transaction(() => {
    const t = now();
    const key = claim.run(randomUUID(), t, t, t, t).lastInsertRowid;
    const orderId = order.run(t, t).lastInsertRowid;
    item.run(orderId, productId);
    if (stock.run(productId).changes !== 1) throw new Error("out of stock");
    return { key, orderId };
  });
  const record = db.transaction((key: number | bigint, orderId: number | bigint, paymentId: number | bigint, chargeId: string) => {
    const t = now();
    recordCharge.run(chargeId, t, paymentId);
    paid.run(t, orderId);
    complete.run("{}", key);
  });
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    const { key, orderId } = placeOrder();
    await instantCall();
    const paymentId = openPayment.run(orderId, now(), now()).lastInsertRowid;
    await instantCall();
    const chargeId = `ch_${randomUUID()}`;
    ledger.run(chargeId, randomUUID(), now());
    record(key, orderId, paymentId, chargeId);
    count++;
  }
  const rate = count / ((performance.now() - started) / 1000);
  db.close();
  return Math.round(rate);
}
