/**
 * B3: raw better-sqlite3 running the checkout's transaction shape in a loop:
 * claim an idempotency key, insert the order and its item, decrement stock
 * conditionally, insert the payment. Prints checkouts per second.
 */
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";

export function checkoutShapeBaseline(file: string, productId: number, seconds: number): number {
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
    `INSERT INTO "Order" (userId, status, subtotalCents, discountCents, totalCents, createdAt, updatedAt) VALUES (1, 'PAID', 1000, 0, 1000, ?, ?)`,
  );
  const item = db.prepare(`INSERT INTO "OrderItem" (orderId, productId, quantity, unitPriceCents, lineTotalCents) VALUES (?, ?, 1, 1000, 1000)`);
  const stock = db.prepare(`UPDATE "Product" SET stockQuantity = stockQuantity - 1 WHERE id = ? AND stockQuantity >= 1`);
  const payment = db.prepare(
    `INSERT INTO "Payment" (orderId, status, amountCents, paymentMethod, createdAt, updatedAt) VALUES (?, 'COMPLETED', 1000, 'credit_card', ?, ?)`,
  );
  const complete = db.prepare(`UPDATE "IdempotencyKey" SET status = 'COMPLETED', responseStatus = 201, responseBody = ? WHERE id = ?`);
  const one = db.transaction(() => {
    const t = now();
    const key = claim.run(randomUUID(), t, t, t, t).lastInsertRowid;
    const orderId = order.run(t, t).lastInsertRowid;
    item.run(orderId, productId);
    if (stock.run(productId).changes !== 1) throw new Error("out of stock");
    payment.run(orderId, t, t);
    complete.run("{}", key);
  });
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    one();
    count++;
  }
  const rate = count / ((performance.now() - started) / 1000);
  db.close();
  return Math.round(rate);
}
