import { randomUUID } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, startTestServer, type TestServer } from "./helpers/server.js";

/** Attacks on both doors: each gets the right 4xx and code, the server stays up, nothing changes. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ HTTP_HEADERS_TIMEOUT_MS: 1_000, HTTP_REQUEST_TIMEOUT_MS: 3_000, NODE_ENV: "production" });
});
afterAll(() => server.stop());

async function rowCounts() {
  const d = db();
  return Promise.all([
    d.user.count(), d.product.count(), d.order.count(), d.payment.count(), d.coupon.count(),
    d.idempotencyKey.count(), d.bulkUploadJob.count(), d.shipment.count(),
  ]);
}

let before: number[];
beforeAll(async () => {
  before = await rowCounts();
});
afterAll(async () => {
  expect(await rowCounts()).toEqual(before);
  expect((await server.request("/health")).status).toBe(200);
});

const post = (path: string, body: BodyInit, headers: Record<string, string> = { "content-type": "application/json" }) =>
  server.request(path, { method: "POST", body, headers: { "Idempotency-Key": randomUUID(), ...headers } });

async function gqlRaw(query: string, variables?: unknown) {
  const res = await server.request("/graphql", { method: "POST", json: { query, variables } });
  return { status: res.status, body: (await res.json()) as { errors?: { message: string; extensions?: { code?: string } }[] } };
}

describe("hostile GraphQL", () => {
  it("refuses a depth-50 query with QUERY_TOO_COMPLEX", async () => {
    let inner = "id";
    for (let i = 0; i < 25; i++) inner = `orders(first: 1) { edges { node { user { ${inner} } } } }`;
    const { status, body } = await gqlRaw(`query Deep { user(id: "1") { ${inner} } }`);
    expect(status).toBeLessThan(500);
    expect(body.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COMPLEX");
  });

  it("refuses 1000 aliases", async () => {
    const fields = Array.from({ length: 1000 }, (_, i) => `a${i}: product(id: "1") { id }`).join(" ");
    const { body } = await gqlRaw(`query Aliases { ${fields} }`);
    expect(body.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COMPLEX");
  });

  it("refuses a 10,000-field fragment bomb", async () => {
    const fields = Array.from({ length: 10_000 }, () => "name").join(" ");
    const { body } = await gqlRaw(`query Bomb { products(first: 1) { edges { node { ...F } } } } fragment F on Product { ${fields} }`);
    expect(body.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COMPLEX");
  });

  it("refuses fragments that expand to more than 5,000 fields written out (a 40-step doubling chain is 2^40) before compiling them", async () => {
    const chain = (steps: number) => {
      let fragments = "fragment F0 on Product { id name }";
      for (let i = 1; i <= steps; i++) fragments += ` fragment F${i} on Product { ...F${i - 1} ...F${i - 1} }`;
      return `query Chain { products(first: 1) { edges { node { ...F${steps} } } } } ${fragments}`;
    };
    const bomb = await gqlRaw(chain(40));
    expect(bomb.status).toBeLessThan(500);
    expect(bomb.body.errors?.[0]).toMatchObject({ extensions: { code: "QUERY_TOO_COMPLEX" } });
    expect(bomb.body.errors?.[0]?.message).toMatch(/fragments expand to over a trillion fields, over the limit of 5000/);
    // Ten steps are 2,048 fields written out: under the limit, and answered.
    const fine = await gqlRaw(chain(10));
    expect(fine.body.errors).toBeUndefined();
  });

  it("refuses an expensive but shallow query by its list-aware cost, and a connection without first", async () => {
    const { body } = await gqlRaw(
      `query Costly { users(first: 100) { edges { node { orders(first: 100) { edges { node { items { product { name } } } } } } } } }`,
    );
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: "QUERY_TOO_COMPLEX" } });
    expect(body.errors?.[0]?.message).toMatch(/Query cost \d+ is over the limit/);
    const unbounded = await gqlRaw(`query All { products { edges { node { id } } } }`);
    expect(unbounded.body.errors?.[0]).toMatchObject({ extensions: { code: "VALIDATION_FAILED" } });
    const tooBig = await gqlRaw(`query Big { products(first: 1000) { edges { node { id } } } }`);
    expect(tooBig.body.errors?.[0]?.message).toMatch(/at most 100/);
  });

  it("refuses a 10 MB variables object with 413 PAYLOAD_TOO_LARGE", async () => {
    const res = await server.request("/graphql", {
      method: "POST",
      json: { query: "query P($x: String) { products(first: 1) { edges { cursor } } }", variables: { x: "y".repeat(10 * 1024 * 1024) } },
    });
    expect(res.status).toBe(413);
    expect((await res.json()).errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("answers bodies that are not a JSON object with 400 VALIDATION_FAILED (as REST does), without echoing them back", async () => {
    for (const body of ['{"query": "{ secret', '"just a string"', "{}", "null"]) {
      const res = await server.request("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(JSON.parse(text).errors[0].extensions).toMatchObject({ code: "VALIDATION_FAILED", requestId: expect.any(String) });
      expect(text).not.toContain("secret");
    }
    const batch = await server.request("/graphql", { method: "POST", json: [{ query: "{ __typename }" }] });
    expect(batch.status).toBe(400);
  });

  it("answers malformed and invalid documents with coded errors, never a 500", async () => {
    const syntax = await gqlRaw("query {");
    expect(syntax.status).toBeLessThan(500);
    expect(syntax.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
    const unknownField = await gqlRaw("query Q { productz(first: 1) { edges { cursor } } }");
    expect(unknownField.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    // Production: no field suggestions, no introspection.
    expect(unknownField.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const introspection = await gqlRaw("query I { __schema { types { name } } }");
    expect(introspection.body.errors?.length).toBeGreaterThan(0);
    const graphiql = await server.request("/graphql", { headers: { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" } });
    expect(graphiql.status).toBe(406);
    expect(graphiql.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await graphiql.text()).toMatch(/^GraphiQL is off on this server \(GRAPHIQL_ENABLED=false\)/);
    // A GET query from a client still runs.
    const viaGet = await server.request(`/graphql?query=${encodeURIComponent("{ __typename }")}`, { headers: { accept: "application/json" } });
    expect(await viaGet.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("refuses a multipart upload without the CSRF preflight header", async () => {
    const form = new FormData();
    form.append("operations", JSON.stringify({ query: "mutation U($f: Upload!) { bulkUploadProducts(file: $f) { job { id } } }", variables: { f: null } }));
    form.append("map", JSON.stringify({ 0: ["variables.f"] }));
    form.append("0", new Blob(["sku,name,price,stockQuantity\nCSRF-1,X,1.00,1\n"], { type: "text/csv" }), "x.csv");
    const res = await server.request("/graphql", { method: "POST", body: form });
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].extensions.code).toBe("CSRF_PREFLIGHT_REQUIRED");
  });
});

describe("hostile REST bodies", () => {
  it("answers invalid UTF-8, arrays and bare strings with 400 VALIDATION_FAILED", async () => {
    for (const body of [Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), "[1,2,3]", '"just a string"', "null", "42"]) {
      const res = await post("/api/products", body as BodyInit);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: "VALIDATION_FAILED", requestId: expect.any(String) });
    }
  });

  const bodies: Record<string, Record<string, unknown>> = {
    "/api/products": { name: "X", description: "d", price: 1, stockQuantity: 1, sku: "S-1" },
    "/api/checkout": { userId: 1, items: [{ productId: 1, quantity: 1 }], paymentMethod: "credit_card", cardLast4: "4242", couponCode: "SAVE10" },
    "/api/payments/process": { orderId: 2, amount: 129.99, paymentMethod: "credit_card", cardLast4: "4242" },
    "/api/payments/process-simple": { orderId: 2, amount: 129.99, paymentMethod: "credit_card", cardLast4: "4242" },
    "/api/checkout/coupons": { code: "NEWONE", type: "PERCENTAGE", percentOff: 10, maxRedemptions: 5 },
    "/api/checkout/2/apply-coupon": { couponCode: "SAVE10" },
  };
  const wrongValues: [string, unknown][] = [
    ["an object", { nested: true }],
    ["a list", [1]],
    ["a boolean", true],
    ["a huge number", 1e308],
    ["a negative number", -5],
  ];

  for (const [path, valid] of Object.entries(bodies)) {
    for (const field of Object.keys(valid)) {
      it.each(wrongValues)(`${path}: ${field} as %s is 400 naming the field`, async (_label, value) => {
        const res = await post(path, JSON.stringify({ ...valid, [field]: value }));
        expect(res.status).toBe(400);
        const body = await res.json();
        expect(body.code).toBe("VALIDATION_FAILED");
        expect(body.details.fields.map((f: { field: string }) => f.field.split(".")[0])).toContain(field);
      });
    }
  }

  it("refuses prototype-pollution keys without polluting anything", async () => {
    for (const [path, valid] of Object.entries(bodies)) {
      const body = `{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, ${JSON.stringify(valid).slice(1)}`;
      const res = await post(path, body);
      expect(res.status).toBe(400);
      expect((await res.json()).code).toBe("VALIDATION_FAILED");
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("answers a wrong method with 405 and Allow, a wrong type with 415, an unknown route with 404", async () => {
    const del = await server.request("/api/products", { method: "DELETE" });
    expect(del.status).toBe(405);
    expect(del.headers.get("allow")).toBe("GET, HEAD, POST");
    expect((await del.json()).code).toBe("METHOD_NOT_ALLOWED");
    const put = await server.request("/api/orders/1", { method: "PUT" });
    expect(put.status).toBe(405);
    const form = await post("/api/checkout", "userId=1", { "content-type": "application/x-www-form-urlencoded" });
    expect(form.status).toBe(415);
    const missing = await server.request("/api/nothing/here");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("the two doors answer the edge alike", () => {
  const restCode = async (res: Response) => ({ status: res.status, code: ((await res.json()) as { code: string }).code });
  const gqlCode = async (res: Response) => ({ status: res.status, code: ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code });

  it.each([
    ["malformed JSON", '{"a": ', "application/json", { status: 400, code: "VALIDATION_FAILED" }],
    ["a body over the limit", JSON.stringify({ query: "x".repeat(2 * 1024 * 1024) }), "application/json", { status: 413, code: "PAYLOAD_TOO_LARGE" }],
    ["a charset that is not UTF-8", '{"query": "{ __typename }"}', "application/json; charset=latin1", { status: 415, code: "UNSUPPORTED_MEDIA_TYPE" }],
  ])("%s: the same status and code on REST and GraphQL", async (_name, body, type, expected) => {
    expect(await restCode(await post("/api/products", body, { "content-type": type }))).toEqual(expected);
    expect(await gqlCode(await post("/graphql", body, { "content-type": type }))).toEqual(expected);
  });

  it("caps a coupon code at 64 characters on both doors", async () => {
    const code = "C".repeat(65);
    const rest = await post("/api/checkout/coupons", JSON.stringify({ code, type: "PERCENTAGE", percentOff: 10 }));
    expect(await rest.json()).toMatchObject({ code: "VALIDATION_FAILED", details: { fields: [{ field: "code", message: "must be at most 64 characters" }] } });
    const gql = await gqlRaw(`mutation Apply($code: String!) { applyCoupon(orderId: 1, code: $code) { couponCode } }`, { code });
    expect(gql.body.errors?.[0]).toMatchObject({ extensions: { code: "VALIDATION_FAILED" }, message: "Invalid input: couponCode: must be at most 64 characters" });
  });
});

describe("slow clients", () => {
  it("drops a slow-loris connection after the headers timeout while serving others", async () => {
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    const closed = new Promise<number>((resolve) => socket.on("close", () => resolve(performance.now())));
    socket.on("error", () => {});
    const started = performance.now();
    socket.write("POST /api/products HTTP/1.1\r\nHost: localhost\r\n");
    const drip = setInterval(() => socket.writable && socket.write("X-Slow: a\r\n"), 200);
    const health = await server.request("/health");
    expect(health.status).toBe(200);
    const closedAt = await closed;
    clearInterval(drip);
    // Dropped at the 1 s headers timeout (with its 1 s check interval); the drip itself would never end.
    expect(closedAt - started).toBeLessThan(20_000);
  });
});
