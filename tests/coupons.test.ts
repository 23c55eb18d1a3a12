import { randomUUID } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readLegacyCoupons } from "../src/cli/import-legacy-coupons.js";
import { importLegacyCoupons } from "../src/services/coupons/legacy.js";
import { db, startTestServer, TMP_DIR, type TestServer } from "./helpers/server.js";
import { createOrder, createProduct, createUser } from "./helpers/factories.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ CARD_GATEWAY_LATENCY_MS: 1 });
});
afterAll(() => server.stop());

const createCouponRest = (json: unknown) => server.request("/api/checkout/coupons", { method: "POST", json });
const apply = (orderId: number, couponCode: string) =>
  server.request(`/api/checkout/${orderId}/apply-coupon`, { method: "POST", json: { couponCode } });

async function pendingOrder(subtotalCents = 5997) {
  const user = await createUser();
  const product = await createProduct({ priceCents: subtotalCents, stockQuantity: 100 });
  return createOrder(user.id, [{ productId: product.id, quantity: 1, unitPriceCents: subtotalCents }]);
}

const code = () => `C${randomUUID().slice(0, 8)}`.toUpperCase();

describe("creating coupons", () => {
  it.each([
    [{ type: "PERCENTAGE", percentOff: 15.25 }, { type: "PERCENTAGE", percentOff: 15.25, amountOffCents: null }],
    [{ type: "FIXED_AMOUNT", amountOff: "5.50" }, { type: "FIXED_AMOUNT", amountOff: 5.5, amountOffCents: 550 }],
    [{ type: "FIXED_AMOUNT", amountOffCents: 700 }, { type: "FIXED_AMOUNT", amountOffCents: 700 }],
    [{ discount: "15%" }, { type: "PERCENTAGE", percentOff: 15 }],
    [{ discount: "15" }, { type: "PERCENTAGE", percentOff: 15 }],
    [{ discount: 15 }, { type: "PERCENTAGE", percentOff: 15 }],
  ])("REST accepts %j", async (body, expected) => {
    const c = code().toLowerCase();
    const res = await createCouponRest({ code: c, ...body });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ code: c.toUpperCase(), ...expected });
  });

  it.each([["15 percent"], ["abc"], ["-5"], ["0"], ["150"], [""], [null], [15.255], [true]])(
    "REST rejects the legacy discount %j with 400 naming the field, storing nothing",
    async (discount) => {
      const before = await db().coupon.count();
      const res = await createCouponRest({ code: code(), discount });
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.code).toBe("VALIDATION_FAILED");
      expect(body.details.fields[0].field).toBe("discount");
      expect(await db().coupon.count()).toBe(before);
    },
  );

  it.each([
    [{ type: "PERCENTAGE", percentOff: 0 }, "percentOff"],
    [{ type: "PERCENTAGE", percentOff: 100.5 }, "percentOff"],
    [{ type: "PERCENTAGE", percentOff: 10.123 }, "percentOff"],
    [{ type: "FIXED_AMOUNT", amountOff: -1 }, "amountOff"],
    [{ type: "FIXED_AMOUNT", amountOffCents: 0 }, "amountOffCents"],
    [{ type: "BOGO", percentOff: 10 }, "type"],
    [{ type: "PERCENTAGE", percentOff: 10, maxRedemptions: 0 }, "maxRedemptions"],
  ])("REST rejects %j with 400 naming %s", async (body, field) => {
    const res = await createCouponRest({ code: code(), ...body });
    expect(res.status).toBe(400);
    expect((await res.json()).details.fields.map((f: any) => f.field)).toContain(field);
  });

  it("matches codes case-insensitively: a duplicate in another case is 409 DUPLICATE", async () => {
    const c = code();
    expect((await createCouponRest({ code: c, discount: 5 })).status).toBe(201);
    const dup = await createCouponRest({ code: c.toLowerCase(), type: "FIXED_AMOUNT", amountOffCents: 100 });
    expect(dup.status).toBe(409);
    expect((await dup.json()).code).toBe("DUPLICATE");
  });

  it("GraphQL createCoupon takes the typed form with an enum", async () => {
    const mutation = `mutation NewCoupon($input: CreateCouponInput!) { createCoupon(input: $input) { coupon { code type percentOff amountOffCents } } }`;
    const ok = await server.gql(mutation, { input: { code: "gqlpct", type: "PERCENTAGE", percentOff: 12.5 } });
    expect(ok.data.createCoupon.coupon).toEqual({ code: "GQLPCT", type: "PERCENTAGE", percentOff: 12.5, amountOffCents: null });
    const mixed = await server.gql(mutation, { input: { code: "gqlbad", type: "PERCENTAGE", amountOffCents: 100 } });
    expect(mixed.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
    const badEnum = await server.gql(mutation, { input: { code: "gqlbad", type: "HALF_OFF", percentOff: 50 } });
    expect(badEnum.errors).toBeDefined();
    expect(await db().coupon.count({ where: { code: "GQLBAD" } })).toBe(0);
  });
});

describe("applying coupons", () => {
  it("discounts from the subtotal, rounding half-up; applying the same code again returns the same result", async () => {
    const order = await pendingOrder(5997);
    const first = await apply(order.id, "buggy"); // 15% of 59.97 = 8.9955 -> 9.00
    expect(first.status).toBe(200);
    const expected = {
      couponCode: "BUGGY",
      originalTotal: 59.97,
      discountAmount: 9,
      finalTotal: 50.97,
      originalTotalCents: 5997,
      discountCents: 900,
      finalTotalCents: 5097,
    };
    expect(await first.json()).toMatchObject(expected);
    const again = await apply(order.id, "BUGGY");
    expect(await again.json()).toMatchObject(expected);
    const stored = await db().order.findUniqueOrThrow({ where: { id: order.id } });
    expect([stored.subtotalCents, stored.discountCents, stored.totalCents]).toEqual([5997, 900, 5097]);
    expect((await db().coupon.findUniqueOrThrow({ where: { code: "BUGGY" } })).redemptionCount).toBe(1);
  });

  it("answers 409 COUPON_ALREADY_APPLIED for a different second code", async () => {
    const order = await pendingOrder();
    await apply(order.id, "SAVE10");
    const res = await apply(order.id, "SAVE25");
    expect(res.status).toBe(409);
    expect((await res.json()).code).toBe("COUPON_ALREADY_APPLIED");
  });

  it.each([
    ["an unknown code", "NOPE", 404, "COUPON_NOT_FOUND"],
    ["an expired code", "EXPIRED", 422, "COUPON_EXPIRED"],
  ])("answers %s with %i %s", async (_label, couponCode, status, errorCode) => {
    const order = await pendingOrder();
    const res = await apply(order.id, couponCode);
    expect(res.status).toBe(status);
    expect((await res.json()).code).toBe(errorCode);
    expect((await db().order.findUniqueOrThrow({ where: { id: order.id } })).couponId).toBeNull();
  });

  it("answers 422 VALIDATION_FAILED below the minimum subtotal and 409 on a paid order", async () => {
    const c = code();
    await createCouponRest({ code: c, type: "FIXED_AMOUNT", amountOffCents: 500, minSubtotalCents: 10_000 });
    const small = await apply((await pendingOrder(5000)).id, c);
    expect(small.status).toBe(400);
    expect(await small.json()).toMatchObject({ code: "VALIDATION_FAILED", details: { fields: [{ field: "couponCode" }] } });

    const paid = await pendingOrder();
    await db().order.update({ where: { id: paid.id }, data: { status: "PAID" } });
    const res = await apply(paid.id, "SAVE10");
    expect(res.status).toBe(409);
    expect((await res.json()).code).toBe("ORDER_NOT_PENDING");
  });

  it("caps a fixed discount at the subtotal: the total is never negative", async () => {
    const c = code();
    await createCouponRest({ code: c, type: "FIXED_AMOUNT", amountOff: 100 });
    const res = await apply((await pendingOrder(4999)).id, c);
    expect(await res.json()).toMatchObject({ discountCents: 4999, finalTotalCents: 0 });
  });

  it("counts redemptions atomically: maxRedemptions 3, 10 concurrent applications, exactly 3 succeed", async () => {
    const c = code();
    await createCouponRest({ code: c, type: "PERCENTAGE", percentOff: 10, maxRedemptions: 3 });
    const orders = await Promise.all(Array.from({ length: 10 }, () => pendingOrder()));
    const responses = await Promise.all(orders.map((o) => apply(o.id, c)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 422)).toHaveLength(7);
    for (const r of responses.filter((r) => r.status === 422)) expect((await r.json()).code).toBe("COUPON_EXHAUSTED");
    expect((await db().coupon.findUniqueOrThrow({ where: { code: c } })).redemptionCount).toBe(3);
    expect(await db().order.count({ where: { coupon: { code: c } } })).toBe(3);
  });

  it("applies through GraphQL", async () => {
    const order = await pendingOrder(10_000);
    const res = await server.gql(
      `mutation Apply($orderId: ID!, $code: String!) { applyCoupon(orderId: $orderId, code: $code) { couponCode discountCents finalTotalCents order { totalCents coupon { code } } } }`,
      { orderId: String(order.id), code: "save25" },
    );
    expect(res.data.applyCoupon).toEqual({
      couponCode: "SAVE25",
      discountCents: 2500,
      finalTotalCents: 7500,
      order: { totalCents: 7500, coupon: { code: "SAVE25" } },
    });
  });

  it("checkout applies couponCode with the same rules, and an exhausted coupon is a stored failure", async () => {
    const c = code();
    await createCouponRest({ code: c, type: "FIXED_AMOUNT", amountOffCents: 100, maxRedemptions: 1 });
    const user = await createUser();
    const product = await createProduct({ priceCents: 1000 });
    const body = (k: string) => ({ userId: user.id, items: [{ productId: product.id, quantity: 1 }], couponCode: c.toLowerCase(), k });
    const checkout = (k: string) =>
      server.request("/api/checkout", { method: "POST", json: { ...body(k), k: undefined }, headers: { "Idempotency-Key": k } });
    const first = await checkout(randomUUID());
    expect(await first.json()).toMatchObject({ totalCents: 900, discountCents: 100 });
    const second = await checkout(randomUUID());
    expect(second.status).toBe(422);
    expect((await second.json()).code).toBe("COUPON_EXHAUSTED");
    expect((await db().product.findUniqueOrThrow({ where: { id: product.id } })).stockQuantity).toBe(9);
  });
});

describe("legacy coupon migration", () => {
  it("turns free-form values into typed coupons and reports what it cannot parse", async () => {
    const file = join(TMP_DIR, `legacy-${randomUUID()}.db`);
    const legacy = new Database(file);
    legacy.exec(`CREATE TABLE "Coupon" (code TEXT PRIMARY KEY, discount TEXT, expiresAt TEXT, isActive INTEGER)`);
    const insert = legacy.prepare(`INSERT INTO "Coupon" VALUES (?, ?, ?, ?)`);
    insert.run("old15", "15%", null, 1);
    insert.run("OLD20", "20", "2030-01-01T00:00:00.000Z", 1);
    insert.run("OLDHALF", "12.5 %", null, 0);
    insert.run("WORDS", "15 percent", null, 1);
    insert.run("JUNK", "abc", null, 1);
    insert.run("HUGE", "150", null, 1);
    insert.run("SAVE10", "10%", null, 1);
    legacy.close();

    const rows = readLegacyCoupons(file);
    const dry = await importLegacyCoupons(rows, { dryRun: true });
    expect(await db().coupon.count({ where: { code: { in: ["OLD15", "OLD20"] } } })).toBe(0);
    expect(dry.imported).toHaveLength(3);

    const report = await importLegacyCoupons(rows);
    expect([...report.imported].sort((a, b) => a.code.localeCompare(b.code))).toEqual([
      { code: "OLD15", percentOffBps: 1500 },
      { code: "OLD20", percentOffBps: 2000 },
      { code: "OLDHALF", percentOffBps: 1250 },
    ]);
    expect(report.skippedExisting).toEqual(["SAVE10"]);
    expect(report.unparseable.map((u) => [u.code, u.value])).toEqual([
      ["HUGE", "150"],
      ["JUNK", "abc"],
      ["WORDS", "15 percent"],
    ]);
    const old20 = await db().coupon.findUniqueOrThrow({ where: { code: "OLD20" } });
    expect(old20).toMatchObject({ type: "PERCENTAGE", percentOffBps: 2000, active: true });
    expect(old20.expiresAt?.toISOString()).toBe("2030-01-01T00:00:00.000Z");
    expect((await db().coupon.findUniqueOrThrow({ where: { code: "OLDHALF" } })).active).toBe(false);
  });
});
