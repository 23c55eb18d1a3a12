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
