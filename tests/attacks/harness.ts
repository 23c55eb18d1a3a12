import { db, type TestServer } from "../helpers/server.js";

/** Every table a request could write: an attack that is refused leaves each count as it was. */
export async function rowCounts(): Promise<Record<string, number>> {
  const d = db();
  const counts = await Promise.all([
    d.user.count(), d.product.count(), d.order.count(), d.payment.count(), d.coupon.count(), d.idempotencyKey.count(),
    d.bulkUploadJob.count(), d.shipment.count(), d.auditEvent.count(), d.outboxEvent.count(),
  ]);
  const names = ["user", "product", "order", "payment", "coupon", "idempotencyKey", "bulkUploadJob", "shipment", "auditEvent", "outboxEvent"];
  return Object.fromEntries(names.map((n, i) => [n, counts[i]!]));
}

/**
 * Polls /health every 50 ms while `attack` runs and returns the slowest
 * answer: the gateway must keep serving others whatever one request does.
 */
export async function slowestHealthDuring<T>(server: TestServer, attack: () => Promise<T>): Promise<{ result: T; slowestMs: number; polls: number }> {
  let slowestMs = 0;
  let polls = 0;
  let done = false;
  const poller = (async () => {
    while (!done) {
      const started = performance.now();
      const res = await server.request("/health", { as: "anonymous" });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`/health answered ${res.status} during the attack`);
      slowestMs = Math.max(slowestMs, performance.now() - started);
      polls++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    const result = await attack();
    return { result, slowestMs, polls };
  } finally {
    done = true;
    await poller;
  }
}
