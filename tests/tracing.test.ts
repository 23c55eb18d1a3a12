import { randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminHeaders, freshDatabase, TMP_DIR } from "./helpers/server.js";
import { spawnServer, type ServerProcess } from "./helpers/process.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "./helpers/otlp-receiver.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { createLogger } from "../src/lib/logger.js";
import { startTracing, tracesEndpoint } from "../src/lib/tracing-sdk.js";
import { tracingEnabled } from "../src/lib/tracing.js";

/**
 * Traces end to end (docs/observability.md): a spawned gateway exports to an
 * in-process OTLP/HTTP receiver, by protobuf in one process and JSON in the
 * other, and one checkout's trace is read back whole.
 */
let receiver: OtlpReceiver;
const databases: Awaited<ReturnType<typeof freshDatabase>>[] = [];

const traceparentOf = () => {
  const traceId = randomBytes(16).toString("hex");
  const parentId = randomBytes(8).toString("hex");
  return { traceId, parentId, header: `00-${traceId}-${parentId}-01` };
};

async function spawnTraced(protocol: "http/protobuf" | "http/json", extra: Record<string, string> = {}): Promise<ServerProcess> {
  const database = await freshDatabase();
  databases.push(database);
  return spawnServer({
    DATABASE_URL: database.url,
    UPLOAD_DIR: join(TMP_DIR, `tracing-${randomUUID()}`),
    OTEL_TRACES_EXPORTER: "otlp",
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_SERVICE_NAME: "shop-gateway-under-test",
    OTEL_BSP_SCHEDULE_DELAY: "100",
    CARD_GATEWAY_LATENCY_MS: "1",
    SHIPPING_LATENCY_MS: "1",
    OUTBOX_POLL_MS: "100",
    BULK_WORKER_POLL_MS: "100",
    ...extra,
  });
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.close();
  for (const database of databases) await database.drop();
});

const inTrace = (traceId: string) => (spans: ReceivedSpan[]) => spans.filter((s) => s.traceId === traceId);
const named = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);

describe("a checkout's trace (OTLP/protobuf)", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnTraced("http/protobuf");
  }, 60_000);
  afterAll(async () => {
    await server?.kill("SIGTERM");
  });

  it("continues the caller's traceparent through steps, SQL and the providers, and the log line carries it", async () => {
    const caller = traceparentOf();
    const res = await fetch(`${server.url}/api/checkout`, {
      method: "POST",
      headers: await adminHeaders({ "content-type": "application/json", "idempotency-key": randomUUID(), traceparent: caller.header }),
      body: JSON.stringify({ userId: 1, items: [{ productId: 1, quantity: 1 }], paymentMethod: "credit_card", cardLast4: "4242" }),
    });
    expect(res.status).toBe(201);
    const spans = inTrace(caller.traceId)(
      await receiver.waitFor((all) => named(inTrace(caller.traceId)(all), "POST /api/checkout").length === 1 && named(all, "card-gateway charge (simulated provider)").length > 0),
    );

    const root = named(spans, "POST /api/checkout")[0]!;
    expect(root.kind).toBe("SERVER");
    expect(root.parentSpanId).toBe(caller.parentId);
    expect(root.attributes).toMatchObject({ "http.route": "/api/checkout", "http.response.status_code": 201, "http.request.method": "POST" });
    expect(root.resource["service.name"]).toBe("shop-gateway-under-test");

    for (const step of ["flow checkout", "step claim", "step place_order", "step fraud_check", "step charge", "step record_charge"]) {
      expect(named(spans, step), step).toHaveLength(1);
    }
    for (const provider of ["fraud-service check", "card-gateway charge"]) {
      const client = named(spans, provider)[0]!;
      expect(client.kind, provider).toBe("CLIENT");
      // The simulated provider's side continued the trace from the traceparent header it was sent.
      const served = named(spans, `${provider} (simulated provider)`)[0]!;
      expect(served.kind).toBe("SERVER");
      expect(served.parentSpanId).toBe(client.spanId);
    }

    const statements = spans.filter((s) => s.attributes["db.query.text"] !== undefined);
    expect(statements.length).toBeGreaterThan(5);
    for (const statement of statements) {
      expect(statement.kind).toBe("CLIENT");
      expect(["sqlite", "postgresql"]).toContain(statement.attributes["db.system"]);
      // Statement text only: the card's digits and the key never reach a span.
      expect(String(statement.attributes["db.query.text"])).not.toContain("4242");
    }
    expect(named(spans, "INSERT Order")).toHaveLength(1);
    const transactions = named(spans, "db.transaction");
    expect(transactions.length).toBeGreaterThan(0);
    expect(typeof transactions[0]!.attributes["db.client.connection.wait_time_ms"]).toBe("number");
    for (const transaction of transactions) expect(spans.some((s) => s.parentSpanId === transaction.spanId && s.attributes["db.query.text"])).toBe(true);

    const line = server.logs.find((l) => l.msg === "request completed" && l.route === "/api/checkout");
    expect(line).toMatchObject({ trace_id: caller.traceId, span_id: root.spanId });
  });

  it("marks an expected refusal with its code, not as an error: a checkout of more than is in stock", async () => {
    const created = await fetch(`${server.url}/api/products`, {
      method: "POST",
      headers: await adminHeaders({ "content-type": "application/json" }),
      body: JSON.stringify({ name: "The last one", price: "5.00", stockQuantity: 1 }),
    });
    const { id: productId } = (await created.json()) as { id: number };
    const caller = traceparentOf();
    const res = await fetch(`${server.url}/api/checkout`, {
      method: "POST",
      headers: await adminHeaders({ "content-type": "application/json", "idempotency-key": randomUUID(), traceparent: caller.header }),
      body: JSON.stringify({ userId: 1, items: [{ productId, quantity: 2 }], paymentMethod: "credit_card", cardLast4: "4242" }),
    });
    expect(res.status).toBe(409);
    const spans = inTrace(caller.traceId)(await receiver.waitFor((all) => inTrace(caller.traceId)(all).some((s) => s.name === "step place_order")));
    const step = named(spans, "step place_order")[0]!;
    expect(step.attributes["error.type"]).toBe("INSUFFICIENT_STOCK");
    expect(step.status.code).toBe("UNSET");
    expect(step.events).toEqual([]);
  });

  it("an outbox delivery is a span of its own, linked to the request that stored the event", async () => {
    const checkout = await fetch(`${server.url}/api/checkout`, {
      method: "POST",
      headers: await adminHeaders({ "content-type": "application/json", "idempotency-key": randomUUID() }),
      body: JSON.stringify({ userId: 1, items: [{ productId: 2, quantity: 1 }], paymentMethod: "credit_card", cardLast4: "4242" }),
    });
    const { orderId } = (await checkout.json()) as { orderId: number };
    const fulfil = traceparentOf();
    const res = await fetch(`${server.url}/api/orders/${orderId}/fulfill`, { method: "POST", headers: await adminHeaders({ traceparent: fulfil.header }) });
    expect(res.status).toBe(200);

    const all = await receiver.waitFor((spans) => spans.some((s) => s.name === "outbox deliver email.order_fulfilled" && s.links.some((l) => l.traceId === fulfil.traceId)));
    const delivery = all.find((s) => s.name === "outbox deliver email.order_fulfilled" && s.links.some((l) => l.traceId === fulfil.traceId))!;
    expect(delivery.kind).toBe("CONSUMER");
    expect(delivery.traceId).not.toBe(fulfil.traceId);
    const request = inTrace(fulfil.traceId)(all);
    // The link points at a span of the fulfilment's request, and the delivery's e-mail call is in the delivery's trace.
    expect(request.map((s) => s.spanId)).toContain(delivery.links.find((l) => l.traceId === fulfil.traceId)!.spanId);
    expect(named(request, "fulfillment create_shipment")).toHaveLength(1);
    expect(named(request, "shipping-provider create_label")).toHaveLength(1);
    const sent = await receiver.waitFor((spans) => spans.some((s) => s.traceId === delivery.traceId && s.name === "email-provider send"));
    expect(sent.find((s) => s.traceId === delivery.traceId && s.name === "email-provider send")!.parentSpanId).toBe(delivery.spanId);
  });

  it("an import job's run links to its upload request, with a span per batch", async () => {
    const upload = traceparentOf();
    const form = new FormData();
    form.append("file", new Blob(["name,price,stockQuantity\nTraced lamp,12.50,3\nTraced desk,99.00,1\n"], { type: "text/csv" }), "traced.csv");
    const res = await fetch(`${server.url}/api/products/bulk-upload`, { method: "POST", headers: await adminHeaders({ traceparent: upload.header }), body: form });
    expect(res.status).toBe(202);
    const all = await receiver.waitFor((spans) => spans.some((s) => s.name === "import job" && s.links.some((l) => l.traceId === upload.traceId)));
    const run = all.find((s) => s.name === "import job" && s.links.some((l) => l.traceId === upload.traceId))!;
    expect(run.kind).toBe("CONSUMER");
    const batches = await receiver.waitFor((spans) => spans.some((s) => s.name === "import batch" && s.parentSpanId === run.spanId));
    expect(batches.find((s) => s.name === "import batch" && s.parentSpanId === run.spanId)!.attributes["import.rows"]).toBe(2);
  });

  it("log lines written inside a span carry its trace", async () => {
    const stage = server.logs.find((l) => l.msg === "fulfilment stage" && typeof l.trace_id === "string");
    expect(stage?.span_id).toMatch(/^[0-9a-f]{16}$/);
    const spans = receiver.spans.filter((s) => s.traceId === stage!.trace_id && s.spanId === stage!.span_id);
    expect(spans.map((s) => s.name)).toEqual([expect.stringMatching(/^fulfillment /)]);
  });

  it("request histograms carry the trace as an exemplar when the scrape asks for OpenMetrics", async () => {
    const caller = traceparentOf();
    expect((await fetch(`${server.url}/api/products?limit=5`, { headers: { traceparent: caller.header } })).status).toBe(200);
    const open = await fetch(`${server.url}/metrics`, { headers: { accept: "application/openmetrics-text; version=1.0.0" } });
    expect(open.headers.get("content-type")).toContain("application/openmetrics-text");
    const text = await open.text();
    expect(text).toMatch(new RegExp(`^http_request_duration_seconds_bucket\\{[^}]*route="/api/products"[^}]*\\} \\d+ # \\{trace_id="${caller.traceId}",span_id="[0-9a-f]{16}"\\}`, "m"));
    // Counters keep the sample names the alerts use: `_total` once.
    expect(text).toMatch(/^outbox_deliveries_total\{/m);
    expect(text).not.toContain("_total_total");
    expect(text.trimEnd().endsWith("# EOF")).toBe(true);
    // The Prometheus text format has no exemplars.
    expect(await (await fetch(`${server.url}/metrics`)).text()).not.toContain("trace_id");
  });
});

describe("a GraphQL read's trace (OTLP/JSON)", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnTraced("http/json", { GRAPHQL_TRACE_RESOLVERS: "true", GRAPHQL_METRIC_OPERATIONS: "CatalogPage,OneProduct" });
  }, 60_000);
  afterAll(async () => {
    await server?.kill("SIGTERM");
  });

  it("names the request by its operation, with parse, validate and execute spans and the SQL under execute", async () => {
    const caller = traceparentOf();
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: caller.header },
      body: JSON.stringify({ query: "query CatalogPage { products(first: 3) { edges { node { id name } } } }", operationName: "CatalogPage" }),
    });
    expect(res.status).toBe(200);
    const spans = inTrace(caller.traceId)(await receiver.waitFor((all) => inTrace(caller.traceId)(all).some((s) => s.kind === "SERVER")));
    const root = spans.find((s) => s.kind === "SERVER")!;
    expect(root.name).toBe("query CatalogPage");
    expect(root.parentSpanId).toBe(caller.parentId);
    expect(root.attributes["http.route"]).toBe("/graphql");
    expect(named(spans, "graphql.parse")[0]!.parentSpanId).toBe(root.spanId);
    expect(named(spans, "graphql.validate")[0]!.parentSpanId).toBe(root.spanId);
    const execute = named(spans, "query CatalogPage").find((s) => s.kind === "INTERNAL")!;
    expect(execute.attributes).toMatchObject({ "graphql.operation.type": "query", "graphql.operation.name": "CatalogPage" });
    const reads = spans.filter((s) => s.attributes["db.query.text"] !== undefined);
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) expect(read.parentSpanId).toBe(execute.spanId);
    expect(receiver.requests.some((r) => r.contentType.startsWith("application/json"))).toBe(true);
  });

  it("cuts what an error quotes of a client's text: attribute values at 4,096 characters, a status message at 1,024", async () => {
    const caller = traceparentOf();
    // A parse error quotes the token it stopped at: here a 50,000-character name.
    await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: caller.header },
      body: JSON.stringify({ query: `query Q ${"a".repeat(50_000)}` }),
    });
    const spans = inTrace(caller.traceId)(await receiver.waitFor((all) => named(inTrace(caller.traceId)(all), "graphql.parse").length === 1));
    const parse = named(spans, "graphql.parse")[0]!;
    expect(parse.status.code).toBe("ERROR");
    expect(parse.status.message).toMatch(/^Syntax Error: .*aaaa/);
    expect(parse.status.message!.length).toBeLessThanOrEqual(1_024 + 3);
    const exception = parse.events.find((e) => e.name === "exception")!;
    expect(String(exception.attributes["exception.message"])).toMatch(/^Syntax Error/);
    for (const value of Object.values(exception.attributes)) expect(String(value).length).toBeLessThanOrEqual(4_096);
  });

  it("ORM reads are spans under execute too, and resolvers are spans when GRAPHQL_TRACE_RESOLVERS asks", async () => {
    const caller = traceparentOf();
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: caller.header },
      body: JSON.stringify({ query: "query OneProduct { product(id: 1) { name } }" }),
    });
    expect(((await res.json()) as { data: { product: { name: string } } }).data.product.name).toBeTruthy();
    const spans = inTrace(caller.traceId)(await receiver.waitFor((all) => inTrace(caller.traceId)(all).some((s) => s.kind === "SERVER")));
    const execute = named(spans, "query OneProduct").find((s) => s.kind === "INTERNAL")!;
    const resolver = named(spans, "resolve Query.product")[0]!;
    expect(resolver.parentSpanId).toBe(execute.spanId);
    expect(resolver.attributes["graphql.field.path"]).toBe("product");
    const reads = spans.filter((s) => s.attributes["db.query.text"] !== undefined);
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) expect(read.parentSpanId).toBe(execute.spanId);
  });

  it("a caller's unsampled traceparent is honoured: nothing of that trace is exported", async () => {
    const unsampled = traceparentOf();
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: unsampled.header.replace(/-01$/, "-00") },
      body: JSON.stringify({ query: "query OneProduct { product(id: 1) { name } }" }),
    });
    expect(res.status).toBe(200);
    // A sampled request after it: once its spans are in, the unsampled one's would be too.
    const later = traceparentOf();
    await fetch(`${server.url}/api/products?limit=1`, { headers: { traceparent: later.header } });
    await receiver.waitFor((spans) => spans.some((s) => s.traceId === later.traceId && s.kind === "SERVER"));
    expect(receiver.spans.filter((s) => s.traceId === unsampled.traceId)).toEqual([]);
  });

  it("names spans only after operations in GRAPHQL_METRIC_OPERATIONS: a client's own names stay an attribute", async () => {
    const caller = traceparentOf();
    await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: caller.header },
      body: JSON.stringify({ query: "query WhateverTheClientLikes { products(first: 1) { edges { node { id } } } }" }),
    });
    const spans = inTrace(caller.traceId)(await receiver.waitFor((all) => inTrace(caller.traceId)(all).some((s) => s.kind === "SERVER")));
    expect(spans.find((s) => s.kind === "SERVER")!.name).toBe("query");
    expect(spans.find((s) => s.kind === "INTERNAL" && s.name === "query")!.attributes["graphql.operation.name"]).toBe("WhateverTheClientLikes");
  });

  it("a request without traceparent starts its own trace", async () => {
    const before = new Set(receiver.spans.map((s) => s.traceId));
    expect((await fetch(`${server.url}/api/products?limit=2`)).status).toBe(200);
    const all = await receiver.waitFor((spans) => spans.some((s) => s.name === "GET /api/products" && !before.has(s.traceId)));
    const root = all.find((s) => s.name === "GET /api/products" && !before.has(s.traceId))!;
    expect(root.parentSpanId).toBe("");
  });
});

describe("a gateway that links to its callers' traces instead of continuing them (TRACE_INCOMING_CONTEXT=link)", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnTraced("http/protobuf", { TRACE_INCOMING_CONTEXT: "link" });
  }, 60_000);
  afterAll(async () => {
    await server?.kill("SIGTERM");
  });

  it("starts a trace of its own with a link to the caller's: the caller chooses neither the id nor the sampling", async () => {
    const caller = traceparentOf();
    expect((await fetch(`${server.url}/api/products?limit=1`, { headers: { traceparent: caller.header.replace(/-01$/, "-00") } })).status).toBe(200);
    const all = await receiver.waitFor((spans) => spans.some((s) => s.kind === "SERVER" && s.links.some((l) => l.traceId === caller.traceId)));
    const root = all.find((s) => s.kind === "SERVER" && s.links.some((l) => l.traceId === caller.traceId))!;
    expect(root.traceId).not.toBe(caller.traceId);
    expect(root.parentSpanId).toBe("");
    expect(root.links[0]).toMatchObject({ traceId: caller.traceId, spanId: caller.parentId });
  });
});

describe("tracing settings", () => {
  it("are the standard OTEL_* variables, checked at start", () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL: must be http\/protobuf or http\/json \(gRPC is not supported\)/);
    expect(() => loadConfig({ OTEL_TRACES_SAMPLER: "sometimes" })).toThrow(ConfigError);
    expect(() => loadConfig({ OTEL_TRACES_SAMPLER_ARG: "1.5" })).toThrow(ConfigError);
    expect(() => loadConfig({ OTEL_PROPAGATORS: "tracecontext,b3" })).toThrow(/OTEL_PROPAGATORS/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it("send spans to the signal's endpoint as given, or to the base endpoint's /v1/traces", () => {
    expect(tracesEndpoint(loadConfig({}))).toBe("http://localhost:4318/v1/traces");
    expect(tracesEndpoint(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }))).toBe("http://collector:4318/v1/traces");
    expect(tracesEndpoint(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://otel.example.com/ingest" }))).toBe("https://otel.example.com/ingest");
  });

  it("leave tracing off (nothing loaded, nothing started) unless an exporter is named", async () => {
    const logger = createLogger("silent");
    for (const env of [{}, { OTEL_TRACES_EXPORTER: "none" }, { OTEL_TRACES_EXPORTER: "otlp", OTEL_SDK_DISABLED: "true" }]) {
      expect(await startTracing(loadConfig(env), logger)).toBeUndefined();
      expect(tracingEnabled()).toBe(false);
    }
  });
});
