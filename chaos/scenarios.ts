import { randomUUID } from "node:crypto";
import { db } from "../src/db/index.js";
import { patienceOf, send, type Answer, type Traffic } from "./clients.js";
import type { Expectations } from "./invariants.js";

export interface Size {
  clients: number;
  /** Operations per client. */
  operations: number;
  kills: number;
  importRows: number;
}

export interface Context {
  urls: string[];
  adminToken: string;
  users: { id: number; token: string }[];
  products: number[];
  traffic: Traffic;
  expected: Expectations;
  size: Size;
  deadline: number;
  /** Set once every fault was injected: clients keep working until then, so faults land on live traffic. */
  faultsDone: boolean;
}

export interface Scenario {
  name: string;
  /** Gateway processes on the one database; the killer kills the last one (on PostgreSQL only, several). */
  instances: 1 | 2;
  /** The engine it needs, when it is not both. */
  engine?: "sqlite" | "postgres";
  /** What happens at random moments: the gateway SIGKILLed (the default), PostgreSQL restarted, the SQLite disk filled. */
  fault?: "kill" | "postgres-restart" | "disk-full";
  /** Gateway settings on top of the harness's. */
  env?: Record<string, string>;
  /** What the scenario needs beyond users and products (runs once the database exists). */
  setup?(ctx: Context): Promise<void>;
  /** The clients' work; resolves when every client is done. */
  run(ctx: Context): Promise<void>;
}

const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]!;
const card = () => (Math.random() < 0.1 ? "0002" : "4242");

/** The URLs a client tries, its own instance first (with two instances, clients are spread over both and fail over). */
const urlsFor = (ctx: Context, client: number) => ctx.urls.map((_, i) => ctx.urls[(client + i) % ctx.urls.length]!);

/** One checkout with its own key; the ledger keeps every order id an answer named for that key. */
async function checkout(ctx: Context, client: number, extra: Record<string, unknown>): Promise<Answer | undefined> {
  const user = ctx.users[client % ctx.users.length]!;
  const key = randomUUID();
  const items = [{ productId: pick(ctx.products), quantity: 1 + Math.floor(Math.random() * 3) }];
  const entry = { userId: user.id, orderIds: new Set<number>() };
  ctx.expected.checkouts.set(key, entry);
  const answer = await send(ctx.traffic, urlsFor(ctx, client), { method: "POST", path: "/api/checkout", token: user.token, key, json: { items, ...extra } }, patienceOf(client), ctx.deadline);
  const orderId = answer?.body?.orderId ?? answer?.body?.details?.orderId;
  if (typeof orderId === "number") entry.orderIds.add(orderId);
  return answer;
}

async function pay(ctx: Context, client: number, orderId: number): Promise<Answer | undefined> {
  const user = ctx.users[client % ctx.users.length]!;
  return send(ctx.traffic, urlsFor(ctx, client), { method: "POST", path: "/api/payments/process", token: user.token, json: { orderId, paymentMethod: "credit_card", cardLast4: card() } }, patienceOf(client), ctx.deadline);
}

const eachClient = (ctx: Context, work: (client: number) => Promise<void>) => Promise.all(Array.from({ length: ctx.size.clients }, (_, c) => work(c))).then(() => {});

/** At least `operations` times, and on until the faults are over. */
async function repeat(ctx: Context, work: () => Promise<unknown>): Promise<void> {
  for (let i = 0; (i < ctx.size.operations || !ctx.faultsDone) && Date.now() < ctx.deadline; i++) {
    await work();
    await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40)); // think time
  }
}

let couponCode = "";

/** Paid orders the refund scenario refunds and cancels; `closed` once an answer says nothing is left to refund. */
let paidOrders: { orderId: number; paymentId: number; totalCents: number; closed: boolean }[] = [];

async function paidCheckout(ctx: Context, client: number): Promise<void> {
  const placed = await checkout(ctx, client, { paymentMethod: "credit_card", cardLast4: "4242" });
  if (placed?.status === 201 && placed.body.status === "PAID") {
    paidOrders.push({ orderId: placed.body.orderId, paymentId: placed.body.paymentId, totalCents: placed.body.totalCents, closed: false });
  }
}

/**
 * One admin operation on a paid order picked at random, so that several land on
 * one payment at once: a partial refund (up to 40% of the charge), a refund of
 * what remains, or a cancellation (which refunds what remains); else a new paid
 * order, so kills land on checkouts too.
 */
async function refundOrCancel(ctx: Context, client: number): Promise<void> {
  const open = paidOrders.filter((o) => !o.closed);
  const roll = Math.random();
  if (open.length === 0 || roll < 0.15) return paidCheckout(ctx, client);
  const order = pick(open);
  const key = randomUUID();
  const request =
    roll < 0.6
      ? { path: `/api/payments/${order.paymentId}/refund`, json: { amount: money(1 + Math.floor(Math.random() * order.totalCents * 0.4)), reason: "chaos: partial" } }
      : roll < 0.8
        ? { path: `/api/payments/${order.paymentId}/refund`, json: { reason: "chaos: the rest" } }
        : { path: `/api/orders/${order.orderId}/cancel`, json: { reason: "chaos: cancelled by support" } };
  const answer = await send(ctx.traffic, urlsFor(ctx, client), { method: "POST", token: ctx.adminToken, key, ...request }, patienceOf(client), ctx.deadline);
  const code = answer?.body?.code;
  if (roll >= 0.6 && answer && answer.status < 300) order.closed = true;
  if (code === "PAYMENT_NOT_REFUNDABLE" || code === "ORDER_NOT_CANCELLABLE") order.closed = true;
}

const money = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;

export const SCENARIOS: Scenario[] = [
  {
    name: "checkout with payment",
    instances: 1,
    run: (ctx) => eachClient(ctx, (c) => repeat(ctx, () => checkout(ctx, c, { paymentMethod: "credit_card", cardLast4: card() }))),
  },
  {
    name: "pay-later orders, then payment",
    instances: 1,
    run: (ctx) =>
      eachClient(ctx, (c) =>
        repeat(ctx, async () => {
          const placed = await checkout(ctx, c, {});
          if (placed?.status === 201) await pay(ctx, c, placed.body.orderId);
        }),
      ),
  },
  {
    name: "coupons with a redemption limit",
    instances: 1,
    async setup(ctx) {
      couponCode = `CHAOS${randomUUID().slice(0, 8).toUpperCase()}`;
      await db().coupon.create({ data: { code: couponCode, type: "PERCENTAGE", percentOffBps: 1_500, maxRedemptions: Math.max(2, Math.floor(ctx.size.clients / 2)) } });
    },
    run: (ctx) => eachClient(ctx, (c) => repeat(ctx, () => checkout(ctx, c, { paymentMethod: "credit_card", cardLast4: "4242", couponCode }))),
  },
  {
    name: "fulfilment with the outbox",
    instances: 1,
    run: (ctx) =>
      eachClient(ctx, (c) =>
        repeat(ctx, async () => {
          const paid = await checkout(ctx, c, { paymentMethod: "credit_card", cardLast4: "4242" });
          if (paid?.status !== 201) return;
          // The shop ships it at once (retrying as long as it takes: fulfilment is idempotent per order).
          await send(ctx.traffic, urlsFor(ctx, c), { method: "POST", path: `/api/orders/${paid.body.orderId}/fulfill`, token: ctx.adminToken }, "persistent", ctx.deadline);
        }),
      ),
  },
  {
    name: "bulk import",
    instances: 1,
    async run(ctx) {
      const prefix = `chaos-${randomUUID().slice(0, 8)}-`;
      const csv = ["sku,name,price,stockQuantity", ...Array.from({ length: ctx.size.importRows }, (_, i) => `${prefix}${i},Chaos ${i},${(i % 500) + 1}.99,${i % 50}`)].join("\n");
      const key = randomUUID();
      const upload = { method: "POST", path: "/api/products/bulk-upload", token: ctx.adminToken, key, body: csv, contentType: "text/csv" };
      const accepted = await send(ctx.traffic, ctx.urls, upload, "persistent", ctx.deadline);
      if (accepted?.status !== 202) throw new Error(`the upload was not accepted: ${accepted?.status} ${JSON.stringify(accepted?.body)}`);
      ctx.expected.imports.push({ jobId: accepted.body.id, skuPrefix: prefix, rows: ctx.size.importRows });
      // Checkouts run meanwhile, so kills land on requests as well as on the import's batches.
      const shoppers = eachClient(ctx, (c) => repeat(ctx, () => checkout(ctx, c, { paymentMethod: "credit_card", cardLast4: card() })));
      for (;;) {
        const job = await send(ctx.traffic, ctx.urls, { method: "GET", path: `/api/products/bulk-upload/${accepted.body.id}`, token: ctx.adminToken }, "persistent", ctx.deadline);
        if (!job || job.body?.status === "COMPLETED" || job.body?.status === "FAILED" || Date.now() > ctx.deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await shoppers;
    },
  },
  {
    name: "refunds and cancellations",
    instances: 1,
    // One refund call in five fails as an outage would: 502 REFUND_FAILED, retried with the same key (or finished by reconciliation).
    env: { CARD_GATEWAY_REFUND_FAILURE_RATE: "0.2" },
    async setup(ctx) {
      paidOrders = [];
      await eachClient(ctx, async (c) => {
        for (let i = 0; i < 4; i++) await paidCheckout(ctx, c);
      });
    },
    run: (ctx) => eachClient(ctx, (c) => repeat(ctx, () => refundOrCancel(ctx, c))),
  },
  {
    name: "two instances, one killed",
    instances: 2,
    engine: "postgres",
    run: mixedShopping,
  },
  {
    name: "database restarted",
    instances: 1,
    engine: "postgres",
    fault: "postgres-restart",
    run: mixedShopping,
  },
  {
    name: "disk full",
    instances: 1,
    engine: "sqlite",
    fault: "disk-full",
    run: mixedShopping,
  },
];

/** Half the clients pay at checkout, half pay later. */
function mixedShopping(ctx: Context): Promise<void> {
  return eachClient(ctx, (c) =>
    repeat(ctx, async () => {
      const placed = await checkout(ctx, c, c % 2 === 0 ? { paymentMethod: "credit_card", cardLast4: card() } : {});
      if (placed?.status === 201 && placed.body.status === "PENDING") await pay(ctx, c, placed.body.orderId);
    }),
  );
}
