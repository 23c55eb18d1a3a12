import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, startTestServer, type TestServer } from "../helpers/server.js";
import { createOrder, createProduct, createUser } from "../helpers/factories.js";

/** Checkout, payments and coupon application are rate-limited per principal, on both doors. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_CHECKOUT_PER_MIN: 3, RATE_LIMIT_APPLY_COUPON_PER_MIN: 2, RATE_LIMIT_CANCEL_PER_MIN: 2, CARD_GATEWAY_LATENCY_MS: 1 });
});
afterAll(() => server.stop());

async function customer() {
  const user = await createUser();
  return { user, token: await server.tokenFor(user.id) };
}

const restCheckout = (as: string | undefined, productId: number) =>
  server.request("/api/checkout", { method: "POST", as, json: { items: [{ productId, quantity: 1 }] }, headers: { "Idempotency-Key": randomUUID() } });

describe("rate limits", () => {
  it("answers a customer's 4th checkout in a minute 429 RATE_LIMITED with Retry-After, on either door, writing nothing", async () => {
    const product = await createProduct({ stockQuantity: 100 });
    const a = await customer();
    for (let i = 0; i < 3; i++) expect((await restCheckout(a.token, product.id)).status).toBe(201);
    const orders = await db().order.count({ where: { userId: a.user.id } });
    const limited = await restCheckout(a.token, product.id);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({ code: "RATE_LIMITED" });
    const gql = await server.request("/graphql", {
      method: "POST",
      as: a.token,
      json: { query: `mutation { checkout(idempotencyKey: "${randomUUID()}", input: { items: [{ productId: "${product.id}", quantity: 1 }] }) { order { id } } }` },
    });
    expect((await gql.json()).errors[0].extensions).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: expect.any(Number) });
    expect(await db().order.count({ where: { userId: a.user.id } })).toBe(orders);
  });

  it("counts each customer separately, and exempts admins", async () => {
    const product = await createProduct({ stockQuantity: 100 });
    const [a, b] = [await customer(), await customer()];
    for (let i = 0; i < 3; i++) await restCheckout(a.token, product.id);
    expect((await restCheckout(a.token, product.id)).status).toBe(429);
    expect((await restCheckout(b.token, product.id)).status).toBe(201);
    for (let i = 0; i < 5; i++) {
      const res = await server.request("/api/checkout", { method: "POST", json: { userId: b.user.id, items: [{ productId: product.id, quantity: 1 }] }, headers: { "Idempotency-Key": randomUUID() } });
      expect(res.status).toBe(201);
    }
  });

  it("limits cancellations too: each new key is stored for a day, even for an order already cancelled", async () => {
    const product = await createProduct({ stockQuantity: 100 });
    const a = await customer();
    const order = await createOrder(a.user.id, [{ productId: product.id, quantity: 1, unitPriceCents: product.priceCents }]);
    const cancel = () => server.request(`/api/orders/${order.id}/cancel`, { method: "POST", as: a.token, json: {}, headers: { "Idempotency-Key": randomUUID() } });
    expect((await cancel()).status).toBe(200);
    expect((await cancel()).status).toBe(200); // already cancelled: the same answer, under a key of its own
    const keys = await db().idempotencyKey.count();
    const limited = await cancel();
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ code: "RATE_LIMITED" });
    expect(await db().idempotencyKey.count()).toBe(keys);
  });

  it("limits coupon application too", async () => {
    const product = await createProduct({ stockQuantity: 100 });
    const a = await customer();
    const res = await restCheckout(a.token, product.id);
    const { orderId } = await res.json();
    const apply = () => server.request(`/api/checkout/${orderId}/apply-coupon`, { method: "POST", as: a.token, json: { couponCode: "NOSUCHCODE" } });
    expect((await apply()).status).toBe(404);
    expect((await apply()).status).toBe(404);
    expect((await apply()).status).toBe(429);
  });
});
