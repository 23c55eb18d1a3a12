import { afterAll, beforeAll, expect } from "vitest";
import type { ConfigOverrides } from "../../src/config.js";
import { db, startTestServer, type TestServer } from "../helpers/server.js";

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
 * answer and how long the attack took: the gateway must keep serving others
 * whatever one request does.
 */
export async function slowestHealthDuring<T>(server: TestServer, attack: () => Promise<T>): Promise<{ result: T; slowestMs: number; polls: number; attackMs: number }> {
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
  const started = performance.now();
  try {
    const result = await attack();
    return { result, slowestMs, polls, attackMs: performance.now() - started };
  } finally {
    done = true;
    await poller;
  }
}

/**
 * The gateway kept serving while an attack ran: /health answered at least
 * three polls and none took three quarters of the attack's time. A server
 * whose event loop the attack held would answer one or two polls, the last
 * late, at the attack's end. A count and a ratio, not a figure in
 * milliseconds: a busy machine slows both sides alike. (In process, the
 * test's own client shares the event loop: sending a 40 MB body stalls it
 * some 150-200 ms with a core busy, up to 0.38 of such an attack.)
 */
export function expectServedThroughout({ slowestMs, polls, attackMs }: { slowestMs: number; polls: number; attackMs: number }): void {
  expect(polls).toBeGreaterThanOrEqual(3);
  expect(slowestMs).toBeLessThan(attackMs * 0.75);
}

/**
 * The file's server, started before its tests; after them every table holds
 * the rows it held before (each attack was refused) and /health answers 200.
 */
export function unchangedServer(overrides: ConfigOverrides = {}): () => TestServer {
  let server: TestServer | undefined;
  let before: Record<string, number>;
  beforeAll(async () => {
    server = await startTestServer(overrides);
    before = await rowCounts();
  });
  afterAll(async () => {
    expect(await rowCounts()).toEqual(before);
    expect((await server!.request("/health", { as: "anonymous" })).status).toBe(200);
    await server!.stop();
  });
  return () => server!;
}
