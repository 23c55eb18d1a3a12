import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, startTestServer, type TestServer } from "./helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe("demo data on an empty database", () => {
  it("has the three known users", async () => {
    const users = await db().user.findMany({ orderBy: { id: "asc" } });
    expect(users.map((u) => [u.name, u.email])).toEqual([
      ["Alice Johnson", "alice@example.com"],
      ["Bob Smith", "bob@example.com"],
      ["Charlie Davis", "charlie@example.com"],
    ]);
  });

  it("has the eight products with their prices and stock", async () => {
    const products = await db().product.findMany({ orderBy: { id: "asc" } });
    expect(products.map((p) => [p.name, p.priceCents, p.stockQuantity])).toEqual([
      ["Wireless Headphones", 19999, 50],
      ["Laptop Stand", 4999, 100],
      ["Mechanical Keyboard", 12999, 30],
      ["USB-C Hub", 3999, 75],
      ["Webcam", 7999, 40],
      ["Desk Lamp", 3499, 60],
      ["Mouse Pad", 1999, 200],
      ["Phone Stand", 1499, 150],
    ]);
  });

  it("has Alice's paid, Bob's payable and Charlie's fulfilled order, totals derived from items", async () => {
    const orders = await db().order.findMany({
      include: { user: true, items: true, payments: true, shipment: true },
      orderBy: { id: "asc" },
    });
    expect(orders.map((o) => [o.user.email, o.status, o.totalCents])).toEqual([
      ["alice@example.com", "PAID", 24998],
      ["bob@example.com", "PENDING", 12999],
      ["charlie@example.com", "FULFILLED", 9497],
    ]);
    for (const order of orders) {
      expect(order.items.reduce((s, i) => s + i.lineTotalCents, 0)).toBe(order.subtotalCents);
    }
    expect(orders[0]!.payments.map((p) => p.status)).toEqual(["COMPLETED"]);
    expect(orders[1]!.payments).toEqual([]);
    expect(orders[1]!.reservedUntil!.getTime()).toBeGreaterThan(Date.now());
    expect(orders[2]!.shipment?.trackingNumber).toBeTruthy();
  });

  it("has the typed coupons, BUGGY as 15 percent", async () => {
    const coupons = await db().coupon.findMany({ orderBy: { code: "asc" } });
    expect(coupons.map((c) => [c.code, c.type, c.percentOffBps])).toEqual([
      ["BUGGY", "PERCENTAGE", 1500],
      ["EXPIRED", "PERCENTAGE", 5000],
      ["SAVE10", "PERCENTAGE", 1000],
      ["SAVE25", "PERCENTAGE", 2500],
    ]);
    const expired = coupons.find((c) => c.code === "EXPIRED")!;
    expect(expired.expiresAt!.getTime()).toBeLessThan(Date.now());
  });
});
