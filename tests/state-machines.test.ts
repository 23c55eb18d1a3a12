import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqlTransaction, type Sql } from "../src/db/sql.js";
import type { OrderStatus, PaymentStatus } from "../src/generated/sqlite/enums.js";
import { orderTransitions, transitionOrder } from "../src/services/orders/state.js";
import { paymentTransitions, transitionPayment } from "../src/services/payments/state.js";
import { IllegalTransitionError } from "../src/services/common/state-machine.js";
import { createOrder, createProduct, createUser } from "./helpers/factories.js";
import { db, startTestServer, type TestServer } from "./helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());


async function orderIn(status: OrderStatus) {
  const user = await createUser();
  const product = await createProduct();
  return createOrder(user.id, [{ productId: product.id, quantity: 1, unitPriceCents: 1000 }], { status });
}

async function paymentIn(status: PaymentStatus) {
  const order = await orderIn("PENDING");
  return db().payment.create({ data: { orderId: order.id, status, amountCents: 1000, paymentMethod: "credit_card" } });
}

const statusOfOrder = async (id: number) => (await db().order.findUniqueOrThrow({ where: { id } })).status;
const statusOfPayment = async (id: number) => (await db().payment.findUniqueOrThrow({ where: { id } })).status;

/** Every (from, to) pair: an allowed one moves the row and says so, a refused one throws and changes nothing. */
function walkEveryPair<S extends string>(
  table: Record<S, readonly S[]>,
  rowIn: (status: S) => Promise<{ id: number }>,
  transition: (sql: Sql, id: number, from: S, to: S) => Promise<boolean>,
  statusOf: (id: number) => Promise<S>,
): void {
  const statuses = Object.keys(table) as S[];
  for (const from of statuses) {
    for (const to of statuses) {
      const allowed = table[from].includes(to);
      it(`${from} -> ${to}: ${allowed ? "moves" : "is refused and changes nothing"}`, async () => {
        const row = await rowIn(from);
        const attempt = sqlTransaction((sql) => transition(sql, row.id, from, to));
        if (allowed) {
          await expect(attempt).resolves.toBe(true);
          expect(await statusOf(row.id)).toBe(to);
        } else {
          await expect(attempt).rejects.toBeInstanceOf(IllegalTransitionError);
          expect(await statusOf(row.id)).toBe(from);
        }
      });
    }
  }
}

describe("order state machine", () => {
  it("is the contract's lifecycle, with the two failure exits fulfilment uses and cancellation until it ships", () => {
    expect(orderTransitions).toEqual({
      PENDING: ["PAID", "CANCELLED"],
      PAID: ["PROCESSING", "FAILED", "CANCELLED"],
      PROCESSING: ["FULFILLED", "FAILED", "CANCELLED"],
      FULFILLED: [],
      CANCELLED: [],
      FAILED: [],
    });
  });

  walkEveryPair(orderTransitions, orderIn, (sql, id, from, to) => transitionOrder(sql, id, from, to), statusOfOrder);

  it("changes nothing when the order is no longer in the expected status (the loser of a race)", async () => {
    const order = await orderIn("PAID");
    expect(await sqlTransaction((sql) => transitionOrder(sql, order.id, "PENDING", "CANCELLED"))).toBe(false);
    expect(await statusOfOrder(order.id)).toBe("PAID");
  });

  it("does not cancel an order whose payment is in flight", async () => {
    const order = await orderIn("PENDING");
    await db().order.update({ where: { id: order.id }, data: { paymentClaimedUntil: new Date(Date.now() + 60_000) } });
    const cancel = (sql: Parameters<typeof transitionOrder>[0]) =>
      transitionOrder(sql, order.id, "PENDING", "CANCELLED", { cancelledAt: new Date() }, { unlessPaymentInFlight: true });
    expect(await sqlTransaction(cancel)).toBe(false);
    await db().order.update({ where: { id: order.id }, data: { paymentClaimedUntil: new Date(Date.now() - 1) } });
    expect(await sqlTransaction(cancel)).toBe(true);
    expect(await statusOfOrder(order.id)).toBe("CANCELLED");
  });
});

describe("payment state machine", () => {
  walkEveryPair(paymentTransitions, paymentIn, (sql, id, from, to) => transitionPayment(sql, id, from, to, { failureCode: "test" }), statusOfPayment);

  it("settles once: a second settlement of the same payment changes nothing", async () => {
    const payment = await paymentIn("PENDING");
    expect(await sqlTransaction((sql) => transitionPayment(sql, payment.id, "PENDING", "COMPLETED"))).toBe(true);
    expect(await sqlTransaction((sql) => transitionPayment(sql, payment.id, "PENDING", "FAILED"))).toBe(false);
    expect(await statusOfPayment(payment.id)).toBe("COMPLETED");
  });
});
