import { randomUUID } from "node:crypto";
import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { spawnServer, queryOne } from "./helpers/process.js";
import { adminHeaders, freshDatabase } from "./helpers/server.js";

/**
 * SIGTERM while clients are checking out: what a rolling deploy does to a
 * busy instance. The known failure was shutdown closing the database under
 * handlers whose clients had gone (500 "database not open", a card charged
 * with no payment recorded).
 */
describe("graceful shutdown under load", () => {
  it("finishes every checkout in flight (also for clients that went away), refuses new requests cleanly, and exits 0", async () => {
    const database = await freshDatabase();
    const server = await spawnServer({ DATABASE_URL: database.url, FRAUD_CHECK_LATENCY_MS: "700", SHUTDOWN_TIMEOUT_MS: "15000" });
    try {
      const headers = { ...(await adminHeaders()), "content-type": "application/json" };
      const products = (await (await fetch(`${server.url}/api/products?limit=5`)).json()) as { id: number }[];
      const alice = await queryOne<{ id: number }>(database.url, `SELECT "id" FROM "User" WHERE "email" = 'alice@example.com'`);
      // Each client on its own connection, closed after its answer (agent: false), as many real clients are:
      // once they are done, nothing but the handlers themselves keeps the server from closing.
      const checkout = (i: number, signal?: AbortSignal) =>
        new Promise<number>((resolve, reject) => {
          const body = JSON.stringify({ userId: alice.id, items: [{ productId: products[i % products.length]!.id, quantity: 1 }], paymentMethod: "credit_card", cardLast4: "4242" });
          const req = request(`${server.url}/api/checkout`, { method: "POST", agent: false, signal, headers: { ...headers, "Idempotency-Key": randomUUID() } }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode!));
          });
          req.on("error", reject);
          req.end(body);
        });

      const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      // Twenty clients wait for their answers; twenty more, started later, give up while the fraud
      // service is still scoring them, so their checkouts finish after every connection has closed.
      const staying = Array.from({ length: 20 }, (_, i) => checkout(i));
      await pause(250);
      const leaving = new AbortController();
      const abandoned = Array.from({ length: 20 }, (_, i) => checkout(i, leaving.signal).catch(() => "aborted"));
      await pause(150);
      leaving.abort();
      await pause(50);
      const exited = server.kill("SIGTERM");
      await pause(100);

      // A new request is refused at once: 503 on a kept-alive connection, or no connection at all.
      const late = await fetch(`${server.url}/api/products`).then((res) => res.status, (error: Error) => error.cause ? "refused" : error.message);
      expect([503, "refused"]).toContain(late);

      const statuses = await Promise.all(staying);
      expect(statuses).toEqual(Array(20).fill(201));
      expect(await Promise.all(abandoned)).toEqual(Array(20).fill("aborted"));
      expect(await exited).toBe(0);

      const problems = server.logs.filter((l) => Number(l.level) >= 50 || /not open/.test(String(l.msg) + JSON.stringify(l.err ?? "")));
      expect(problems).toEqual([]);
      // Forty charges, forty payments recorded, forty orders paid: nothing charged without its record
      // (the demo seed's own paid orders, with their charges, are left out).
      const counts = await queryOne<{ charges: number; payments: number; paid: number }>(
        database.url,
        `SELECT (SELECT COUNT(*) FROM "SimulatedGatewayCharge" c WHERE c."chargeId" NOT LIKE 'ch_seed_%') AS "charges",
                (SELECT COUNT(*) FROM "Payment" p JOIN "SimulatedGatewayCharge" c ON c."chargeId" = p."gatewayChargeId" WHERE p."status" = 'COMPLETED' AND c."chargeId" NOT LIKE 'ch_seed_%') AS "payments",
                (SELECT COUNT(DISTINCT o."id") FROM "Order" o JOIN "Payment" p ON p."orderId" = o."id" JOIN "SimulatedGatewayCharge" c ON c."chargeId" = p."gatewayChargeId" WHERE o."status" = 'PAID' AND c."chargeId" NOT LIKE 'ch_seed_%') AS "paid"`,
      );
      expect(Object.values(counts).map(Number)).toEqual([40, 40, 40]); // PostgreSQL counts arrive as text
    } finally {
      await server.kill("SIGKILL");
      await database.drop();
    }
  }, 120_000);
});
