import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, startTestServer, usingPostgres, type TestServer } from "./helpers/server.js";
import { createOrder, createProduct, createUser } from "./helpers/factories.js";
import { onQuery } from "../src/db/index.js";
import type { Authenticator } from "../src/auth/index.js";
import { loadConfig } from "../src/config.js";
import { graphiqlOptions } from "../src/graphql/graphiql.js";
import { requestContext } from "../src/lib/request-context.js";
import { schema } from "../src/schema/index.js";
import { getNamedType, isLeafType, type GraphQLObjectType } from "graphql";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe("queries", () => {
  it("pages products as a Relay connection, newest first", async () => {
    const first = await server.gql(`query FirstProducts { products(first: 3) { edges { cursor node { id name priceCents priceFormatted } } pageInfo { hasNextPage endCursor } } }`);
    expect(first.errors).toBeUndefined();
    const conn = first.data.products;
    expect(conn.edges.map((e: any) => e.node.name)).toEqual(["Phone Stand", "Mouse Pad", "Desk Lamp"]);
    expect(conn.edges[0].node).toMatchObject({ priceCents: 1499, priceFormatted: "$14.99" });
    expect(conn.pageInfo.hasNextPage).toBe(true);

    const rest = await server.gql(
      `query MoreProducts($after: String) { products(first: 10, after: $after) { edges { node { name } } pageInfo { hasNextPage } } }`,
      { after: conn.pageInfo.endCursor },
    );
    expect(rest.data.products.edges).toHaveLength(5);
    expect(rest.data.products.pageInfo.hasNextPage).toBe(false);
  });

  it("pages backwards with last/before, keeping newest-first order", async () => {
    const res = await server.gql(`query Oldest { products(last: 2) { edges { cursor node { name } } pageInfo { hasPreviousPage } } }`);
    expect(res.data.products.edges.map((e: any) => e.node.name)).toEqual(["Laptop Stand", "Wireless Headphones"]);
    expect(res.data.products.pageInfo.hasPreviousPage).toBe(true);
    const before = await server.gql(
      `query Newer($before: String) { products(last: 1, before: $before) { edges { node { name } } } }`,
      { before: res.data.products.edges[0].cursor },
    );
    expect(before.data.products.edges.map((e: any) => e.node.name)).toEqual(["Mechanical Keyboard"]);
    const bad = await server.gql(`query Bad { products(first: 1, after: "nope") { edges { cursor } } }`);
    expect(bad.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
    // Well formed, but past the id columns' range: refused on both engines, never a database error.
    const outOfRange = await server.gql(`query Far($after: String) { products(first: 1, after: $after) { edges { cursor } } }`, { after: Buffer.from("id:3000000000").toString("base64url") });
    expect(outOfRange.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
  });

  it("reads one product by its raw database id, null when absent, VALIDATION_FAILED when malformed", async () => {
    const product = await createProduct({ name: "Dock", priceCents: 12345 });
    const found = await server.gql(`query OneProduct($id: ID!) { product(id: $id) { id name priceCents } }`, { id: product.id });
    expect(found.data.product).toEqual({ id: String(product.id), name: "Dock", priceCents: 12345 });

    const missing = await server.gql(`query NoProduct { product(id: "999999") { id } }`);
    expect(missing.errors).toBeUndefined();
    expect(missing.data.product).toBeNull();

    const malformed = await server.gql(`query BadProduct { product(id: "x1") { id } }`);
    expect(malformed.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
  });

  it("lists users with their orders, items and products, and an order count", async () => {
    const res = await server.gql(`query UsersWithOrders {
      users(first: 10) { edges { node { email orderCount orders(first: 5) { edges { node { status totalCents items { quantity unitPriceCents product { name } } } } } } } }
    }`);
    expect(res.errors).toBeUndefined();
    const byEmail = Object.fromEntries(res.data.users.edges.map((e: any) => [e.node.email, e.node]));
    expect(byEmail["alice@example.com"].orderCount).toBe(1);
    const aliceOrder = byEmail["alice@example.com"].orders.edges[0].node;
    expect(aliceOrder).toMatchObject({ status: "PAID", totalCents: 24998 });
    expect(byEmail["charlie@example.com"].orders.edges[0].node.totalCents).toBe(9497);
    expect(byEmail["bob@example.com"].orders.edges[0].node.status).toBe("PENDING");
  });

  it("reads a user, an order and a payment by id; null with NOT_FOUND when absent", async () => {
    const payment = await db().payment.findFirstOrThrow({ include: { order: true } });
    const res = await server.gql(
      `query Lookups($user: ID!, $order: ID!, $payment: ID!) {
        user(id: $user) { id email }
        order(id: $order) { id status totalCents totalFormatted user { email } payments { id amountCents status } shipment { trackingNumber } }
        payment(id: $payment) { id status amountCents order { id } }
        missingUser: user(id: "99999") { id }
        missingOrder: order(id: "99999") { id }
        missingPayment: payment(id: "99999") { id }
      }`,
      { user: payment.order.userId, order: payment.orderId, payment: payment.id },
    );
    expect(res.errors?.map((e) => [e.path?.[0], e.extensions?.code]).sort()).toEqual([
      ["missingOrder", "NOT_FOUND"],
      ["missingPayment", "NOT_FOUND"],
      ["missingUser", "NOT_FOUND"],
    ]);
    expect(res.data.order).toMatchObject({ id: String(payment.orderId), totalFormatted: "$249.98", shipment: null });
    expect(res.data.payment).toMatchObject({ status: "COMPLETED", amountCents: 24998, order: { id: String(payment.orderId) } });
    expect(res.data.user.email).toBe("alice@example.com");
    expect([res.data.missingUser, res.data.missingOrder, res.data.missingPayment]).toEqual([null, null, null]);
  });

  it("lists active coupons by default and all with activeOnly: false", async () => {
    const res = await server.gql(`query Coupons { active: coupons { code type percentOff } all: coupons(activeOnly: false) { code } }`);
    expect(res.data.active.map((c: any) => c.code)).toEqual(["BUGGY", "SAVE10", "SAVE25"]);
    expect(res.data.active[0]).toEqual({ code: "BUGGY", type: "PERCENTAGE", percentOff: 15 });
    expect(res.data.all.map((c: any) => c.code)).toContain("EXPIRED");
  });

  it("reads a bulk upload job, null when absent", async () => {
    const job = await db().bulkUploadJob.create({ data: { filePath: "/tmp/y.csv", fileSizeBytes: 1 } });
    const res = await server.gql(`query Job($id: ID!) { bulkUploadJob(id: $id) { id status progress errors { row } } none: bulkUploadJob(id: "424242") { id } }`, { id: job.id });
    expect(res.data.bulkUploadJob).toEqual({ id: String(job.id), status: "QUEUED", progress: 0, errors: [] });
    expect(res.data.none).toBeNull();
  });
});

describe("createProduct", () => {
  const mutation = `mutation CreateProduct($input: CreateProductInput!) { createProduct(input: $input) { product { id name priceCents stockQuantity sku } } }`;

  it("creates a product", async () => {
    const res = await server.gql(mutation, { input: { name: "Trackpad", priceCents: 8900, stockQuantity: 4, sku: "TP-1" } });
    expect(res.errors).toBeUndefined();
    expect(res.data.createProduct.product).toMatchObject({ name: "Trackpad", priceCents: 8900, sku: "TP-1" });
    expect(await db().product.count({ where: { sku: "TP-1" } })).toBe(1);
  });

  it.each([
    [{ name: "", priceCents: 100, stockQuantity: 1 }, "name"],
    [{ name: "X", priceCents: -5, stockQuantity: 1 }, "priceCents"],
    [{ name: "X", priceCents: 100, stockQuantity: -1 }, "stockQuantity"],
  ])("rejects %o with VALIDATION_FAILED naming the field, writing nothing", async (input, field) => {
    const before = await db().product.count();
    const res = await server.gql(mutation, { input });
    expect(res.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
    expect(res.errors?.[0]?.extensions?.details.fields[0].field).toBe(field);
    expect(await db().product.count()).toBe(before);
  });

  it("answers DUPLICATE for a taken sku", async () => {
    await createProduct({ sku: "TAKEN" });
    const res = await server.gql(mutation, { input: { name: "X", priceCents: 1, stockQuantity: 1, sku: "TAKEN" } });
    expect(res.errors?.[0]?.extensions?.code).toBe("DUPLICATE");
  });
});

describe("batching", () => {
  /** The statements one request runs, and its answer. */
  const counted = async (query: string, variables: Record<string, unknown>) => {
    let statements = 0;
    // Only this request's statements: background workers poll the database too.
    const stop = onQuery(() => {
      if (requestContext()) statements++;
    });
    const res = await server.gql(query, variables);
    stop();
    expect(res.errors).toBeUndefined();
    return { statements, data: res.data };
  };

  it("loads 50 orders with items, products and payments in a constant number of SQL statements", async () => {
    const user = await createUser();
    const products = await Promise.all([1, 2, 3].map(() => createProduct()));
    for (let i = 0; i < 50; i++) {
      await createOrder(user.id, products.map((p, k) => ({ productId: p.id, quantity: k + 1, unitPriceCents: p.priceCents })));
    }
    const query = `query UserOrders($id: ID!, $first: Int!) {
      user(id: $id) { orderCount orders(first: $first) { edges { node { id totalCents items { quantity product { name } } payments { status } user { email } } } } }
    }`;
    const count = async (first: number) => {
      const { statements, data } = await counted(query, { id: user.id, first });
      expect(data.user.orders.edges).toHaveLength(first);
      return statements;
    };
    const forFive = await count(5);
    const forFifty = await count(50);
    expect(forFifty).toBe(forFive);
    expect(forFifty).toBeLessThanOrEqual(8);
  });


  it("reads the orders of every user on a page, their lines and the lines' products, in four statements whatever the page's size", async () => {
    const products = await Promise.all([1, 2].map(() => createProduct()));
    for (let u = 0; u < 4; u++) {
      const buyer = await createUser();
      for (let k = 1; k <= 3; k++) await createOrder(buyer.id, products.map((p) => ({ productId: p.id, quantity: k, unitPriceCents: p.priceCents })));
    }
    const query = (users: number) => `query Buyers {
      users(first: ${users}) { edges { node { orders(first: 3) { edges { node { items { quantity product { name } } } } } } } }
    }`;
    const one = await counted(query(1), {});
    const two = await counted(query(2), {});
    const three = await counted(query(3), {});
    const four = await counted(query(4), {});
    // The users page; every user's window of orders, each its own keyset window, in one statement;
    // every window's lines; their products. On both engines, for one user as for four.
    expect([one.statements, two.statements, three.statements, four.statements]).toEqual([4, 4, 4, 4]);
    expect(three.data.users.edges).toEqual(four.data.users.edges.slice(0, 3));
    // The newest four users are the buyers: each order has both products, its quantity on both lines.
    for (const { node } of four.data.users.edges) {
      expect(node.orders.edges.map((e: any) => e.node.items.map((i: any) => [i.quantity, i.product.name]))).toEqual(
        [3, 2, 1].map((quantity) => products.map((p) => [quantity, p.name])),
      );
    }
  });

  it("reads the order pages of 65 users in two statements of windows, each user's own orders in its page", async () => {
    const product = await createProduct();
    const buyers = [];
    for (let u = 0; u < 65; u++) {
      const buyer = await createUser();
      const orders = [];
      for (let k = 1; k <= (u % 3) + 1; k++) orders.push(await createOrder(buyer.id, [{ productId: product.id, quantity: u + k, unitPriceCents: product.priceCents }]));
      buyers.push({ id: String(buyer.id), orders: orders.map((o) => String(o.id)).reverse() });
    }
    const page = await counted(`query Buyers {
      users(first: 65) { edges { node { id orders(first: 2) { edges { node { id items { quantity } } } } } } }
    }`, {});
    // The users page, 64 windows and then 1 (a statement holds 64 at most), the lines.
    expect(page.statements).toBe(4);
    const seen = page.data.users.edges.map(({ node }: any) => ({ id: node.id, orders: node.orders.edges.map((e: any) => e.node.id) }));
    // Newest first: each user's two newest orders, whichever statement read them.
    expect(seen).toEqual(buyers.reverse().map((b) => ({ id: b.id, orders: b.orders.slice(0, 2) })));
  });

  it("answers each field of a mutation after the writes of the fields before it, never from what they read", async () => {
    const user = await createUser();
    const product = await createProduct({ stockQuantity: 10, priceCents: 1000 });
    const token = await server.tokenFor(user.id);
    const input = { userId: String(user.id), items: [{ productId: String(product.id), quantity: 1 }], paymentMethod: "credit_card", cardLast4: "4242" };
    const seen = `order { id user { orderCount orders(first: 10) { edges { node { id } } } } items { product { stockQuantity } } }`;
    const res = await server.request("/graphql", {
      method: "POST",
      as: token,
      json: {
        query: `mutation Twice($input: CheckoutInput!, $a: String!, $b: String!) { a: checkout(input: $input, idempotencyKey: $a) { ${seen} } b: checkout(input: $input, idempotencyKey: $b) { ${seen} } }`,
        variables: { input, a: randomUUID(), b: randomUUID() },
      },
    });
    const { data, errors } = await res.json();
    expect(errors).toBeUndefined();
    const [a, b] = [data.a.order, data.b.order];
    expect(a.user.orderCount).toBe(1);
    expect(a.items[0].product.stockQuantity).toBe(9);
    // The second checkout's answer shows its own order, counted, and the stock both took.
    expect(b.user.orderCount).toBe(2);
    expect(b.user.orders.edges.map((e: any) => e.node.id)).toEqual([b.id, a.id]);
    expect(b.items[0].product.stockQuantity).toBe(8);
  });

  it("answers every Order field through a user's order page as order(id) does, alone and all together", async () => {
    const user = await createUser();
    const [product] = await Promise.all([createProduct()]);
    const order = await createOrder(user.id, [{ productId: product!.id, quantity: 2, unitPriceCents: product!.priceCents }], {
      status: "CANCELLED",
      failureReason: "customer changed their mind",
      reservedUntil: new Date("2030-01-02T03:04:05.678Z"),
      cancelledAt: new Date(),
    });
    // Every field of the Order type as the schema has it (a new field is covered without editing this test).
    const fields = Object.values((schema.getType("Order") as GraphQLObjectType).getFields()).map((field) =>
      isLeafType(getNamedType(field.type)) ? field.name : `${field.name} { __typename }`,
    );
    const compare = async (selection: string) => {
      const res = await server.gql(`query Both($user: ID!, $order: ID!) {
        user(id: $user) { orders(first: 1) { edges { node { ${selection} } } } }
        order(id: $order) { ${selection} }
      }`, { user: user.id, order: order.id });
      expect(res.errors, selection).toBeUndefined();
      expect(res.data.user.orders.edges[0].node, selection).toEqual(res.data.order);
      return res.data.order;
    };
    for (const field of fields) {
      const answer = await compare(field);
      // The fixture sets every column a field shows: a column the narrow form lacks cannot hide behind a null.
      if (!field.includes("{")) expect(answer[field], `${field} is set in this test's order`).not.toBeNull();
    }
    await compare(fields.join(" "));
  });

  it("answers order lines asked for through fragments as it does when asked for directly", async () => {
    const user = await createUser();
    const products = await Promise.all([1, 2].map(() => createProduct()));
    for (let k = 1; k <= 3; k++) await createOrder(user.id, products.map((p) => ({ productId: p.id, quantity: k, unitPriceCents: p.priceCents })));
    const direct = await counted(`query Direct($id: ID!) { user(id: $id) { orders(first: 3) { edges { node { id items { quantity product { name } } } } } } }`, { id: user.id });
    const throughFragments = await counted(
      `query Fragments($id: ID!) { user(id: $id) { ...Orders } }
       fragment Orders on User { orders(first: 3) { edges { node { id ... on Order { items { quantity ...Line } } } } } }
       fragment Line on OrderItem { product { name } }`,
      { id: user.id },
    );
    // A field the narrow form lacks, asked for only inside fragments, is still answered.
    const times = await counted(
      `query Times($id: ID!) { user(id: $id) { orders(first: 3) { edges { node { id ... on Order { createdAt } ...Updated } } } } }
       fragment Updated on Order { updatedAt }`,
      { id: user.id },
    );
    for (const { node } of times.data.user.orders.edges) {
      expect(Date.parse(node.createdAt)).toBeGreaterThan(0);
      expect(Date.parse(node.updatedAt)).toBeGreaterThan(0);
    }
    expect(throughFragments.data).toEqual(direct.data);
    expect(direct.data.user.orders.edges[0].node.items).toEqual(products.map((p) => ({ quantity: 3, product: { name: p.name } })));
    expect(throughFragments.statements).toBe(direct.statements);
  });
});

describe("GraphiQL", () => {
  it("serves GraphiQL to browsers with its assets inlined (no CDN)", async () => {
    const res = await server.request("/graphql", { headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<title>Shop gateway</title>");
    expect(html).toContain("query ShopOverview");
    expect(html).not.toMatch(/<script[^>]+src="https?:\/\//);
    expect(html).not.toMatch(/<link[^>]+href="https?:\/\//);
  });

  const bearer = (html: string) => /Bearer (ey[\w-]+\.[\w-]+\.[\w-]+)/.exec(html)?.[1];
  const openGraphiQL = async (s: TestServer) => (await s.request("/graphql", { headers: { accept: "text/html" }, as: "anonymous" })).text();

  it("opens in development with a working token for the demo customer in the headers tab, minted per page load", async () => {
    const alice = (await db().user.findUnique({ where: { email: "alice@example.com" } })) ?? (await createUser({ email: "alice@example.com" }));
    const token = bearer(await openGraphiQL(server));
    expect(token).toBeDefined();
    const me = await server.request("/graphql", { method: "POST", as: token, json: { query: "{ me { kind user { id email } } }" } });
    expect((await me.json()).data.me).toEqual({ kind: "customer", user: { id: String(alice.id), email: "alice@example.com" } });
  });

  it("never mints a token outside development, nor where an identity provider signs them", async () => {
    await db().user.upsert({ where: { email: "alice@example.com" }, create: { email: "alice@example.com", name: "Alice" }, update: {} });
    const pageFor = async (overrides: Record<string, unknown>) => {
      const config = loadConfig({}, { ...server.config, GRAPHIQL_ENABLED: true, ...overrides });
      const options = graphiqlOptions(config, { signingSecret: config.AUTH_JWKS_URL ? undefined : config.AUTH_JWT_SECRET } as Authenticator);
      return options === false ? undefined : options({ headers: new Headers({ host: "localhost:4000" }) });
    };
    expect((await pageFor({}))?.headers).toMatch(/^\{\s*"Authorization": "Bearer ey/);
    for (const overrides of [{ NODE_ENV: "production" }, { NODE_ENV: "test" }, { AUTH_JWKS_URL: "https://idp.example/jwks", AUTH_JWT_SECRET: undefined }]) {
      const page = await pageFor(overrides);
      expect(page, JSON.stringify(overrides)).toMatchObject({ title: "Shop gateway" });
      expect(page!.headers, JSON.stringify(overrides)).toBeUndefined();
    }
    expect(graphiqlOptions(loadConfig({}, { ...server.config, GRAPHIQL_ENABLED: false }), {} as Authenticator)).toBe(false);
  });
});
