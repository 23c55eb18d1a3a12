import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider, type SpanExporter } from "@opentelemetry/sdk-trace";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startOtlpReceiver, type OtlpReceiver } from "./helpers/otlp-receiver.js";

/**
 * The test receiver (support/otlp-receiver.ts) against the real exporters: what
 * the SDK sends in OTLP/JSON and OTLP/protobuf decodes to the spans it made.
 */
type ProtoConfig = NonNullable<ConstructorParameters<typeof ProtoTraceExporter>[0]>;

const protocols: { name: string; contentType: string; exporter: (url: string) => SpanExporter }[] = [
  { name: "OTLP/JSON", contentType: "application/json", exporter: (url) => new JsonTraceExporter({ url }) },
  { name: "OTLP/protobuf", contentType: "application/x-protobuf", exporter: (url) => new ProtoTraceExporter({ url }) },
  {
    name: "OTLP/protobuf, gzip",
    contentType: "application/x-protobuf",
    exporter: (url) => new ProtoTraceExporter({ url, compression: "gzip" as ProtoConfig["compression"] }),
  },
];

let receiver: OtlpReceiver;
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await receiver.close();
});

describe("OTLP receiver", () => {
  it.each(protocols)("decodes what the $name exporter sends", async ({ contentType, exporter }) => {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ "service.name": "otlp-receiver-test" }),
      spanProcessors: [new BatchSpanProcessor({ exporter: exporter(`${receiver.url}/v1/traces`) })],
    });
    const tracer = provider.getTracer("receiver-test-scope");

    const linked = tracer.startSpan("linked.job");
    linked.end();
    const parent = tracer.startSpan("GET /products", {
      kind: SpanKind.SERVER,
      attributes: { "http.route": "/products", "http.status_code": 200, "cache.hit": true, ratio: 0.25, offset: -7 },
    });
    const child = tracer.startSpan(
      "db.query",
      {
        kind: SpanKind.CLIENT,
        attributes: { tags: ["a", "b"] },
        links: [{ context: linked.spanContext(), attributes: { "link.reason": "follows" } }],
      },
      trace.setSpan(context.active(), parent),
    );
    child.addEvent("retry", { attempt: 2 });
    child.setStatus({ code: SpanStatusCode.ERROR, message: "connection reset" });
    child.end();
    parent.end();
    await provider.forceFlush();

    const spans = await receiver.waitFor((s) => s.length === 3, 5_000);
    expect(receiver.requests).toEqual([{ contentType, spanCount: 3 }]);
    const byName = new Map(spans.map((s) => [s.name, s]));
    const got = (name: string) => {
      const span = byName.get(name);
      if (!span) throw new Error(`no span ${name}`);
      return span;
    };

    const p = got("GET /products");
    expect(p).toMatchObject({
      traceId: parent.spanContext().traceId,
      spanId: parent.spanContext().spanId,
      parentSpanId: "",
      kind: "SERVER",
      status: { code: "UNSET" },
      scope: "receiver-test-scope",
      links: [],
    });
    expect(p.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(p.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(p.attributes).toStrictEqual({ "http.route": "/products", "http.status_code": 200, "cache.hit": true, ratio: 0.25, offset: -7 });
    expect(p.resource["service.name"]).toBe("otlp-receiver-test");
    expect(p.endTimeUnixNano).toBeGreaterThanOrEqual(p.startTimeUnixNano);
    // Nanoseconds since the epoch: around now, to the second.
    expect(Number(p.startTimeUnixNano / 1_000_000_000n)).toBeCloseTo(Date.now() / 1000, -1);

    const c = got("db.query");
    expect(c).toMatchObject({
      traceId: parent.spanContext().traceId,
      spanId: child.spanContext().spanId,
      parentSpanId: parent.spanContext().spanId,
      kind: "CLIENT",
      attributes: { tags: ["a", "b"] },
      status: { code: "ERROR", message: "connection reset" },
      links: [{ traceId: linked.spanContext().traceId, spanId: linked.spanContext().spanId, attributes: { "link.reason": "follows" } }],
      resource: { "service.name": "otlp-receiver-test" },
    });
    expect(c.events).toEqual([{ name: "retry", timeUnixNano: expect.any(BigInt), attributes: { attempt: 2 } }]);

    const l = got("linked.job");
    expect(l).toMatchObject({ traceId: linked.spanContext().traceId, parentSpanId: "", kind: "INTERNAL" });
    expect(l.traceId).not.toBe(p.traceId);

    await provider.shutdown();
  });

  it("receives spans one request at a time with a SimpleSpanProcessor", async () => {
    const provider = new TracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter: new JsonTraceExporter({ url: `${receiver.url}/v1/traces` }) })],
    });
    const tracer = provider.getTracer("simple");
    tracer.startSpan("one").end();
    tracer.startSpan("two").end();
    await provider.forceFlush();
    const spans = await receiver.waitFor((s) => s.length === 2, 5_000);
    expect(spans.map((s) => s.name)).toEqual(["one", "two"]);
    expect(receiver.requests).toEqual([
      { contentType: "application/json", spanCount: 1 },
      { contentType: "application/json", spanCount: 1 },
    ]);
    await expect(receiver.waitFor((s) => s.length > 2, 100)).rejects.toThrow(/spans received \(2\): one, two/);
    await provider.shutdown();
  });

  it("answers 415 to other content types and 404 elsewhere, and keeps nothing", async () => {
    const post = (path: string, contentType: string) =>
      fetch(`${receiver.url}${path}`, { method: "POST", headers: { "content-type": contentType }, body: "{}" });
    const unsupported = await post("/v1/traces", "text/plain");
    expect(unsupported.status).toBe(415);
    expect((await post("/v1/metrics", "application/json")).status).toBe(404);
    expect((await fetch(`${receiver.url}/v1/traces`)).status).toBe(404);
    expect(receiver.spans).toEqual([]);
    expect(receiver.requests).toEqual([]);
  });

  it("reads OTLP/JSON as other senders write it, and refuses a truncated protobuf with 400", async () => {
    // int64 as strings (the proto3 JSON mapping), enums by name, nested values.
    const request = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "other" } }] },
          scopeSpans: [
            {
              scope: { name: "hand-made" },
              spans: [
                {
                  traceId: "0AF7651916CD43DD8448EB211C80319C",
                  spanId: "B7AD6B7169203331",
                  name: "checkout",
                  kind: "SPAN_KIND_PRODUCER",
                  startTimeUnixNano: "1700000000000000001",
                  endTimeUnixNano: "1700000000000000002",
                  attributes: [
                    { key: "big", value: { intValue: "9007199254740991" } },
                    { key: "list", value: { arrayValue: { values: [{ intValue: "1" }, { boolValue: false }] } } },
                    { key: "map", value: { kvlistValue: { values: [{ key: "k", value: { doubleValue: 1.5 } }] } } },
                  ],
                  status: { code: "STATUS_CODE_OK" },
                },
              ],
            },
          ],
        },
      ],
    };
    const answer = await fetch(`${receiver.url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify(request),
    });
    expect(answer.status).toBe(200);
    expect(receiver.spans).toEqual([
      {
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        parentSpanId: "",
        name: "checkout",
        kind: "PRODUCER",
        startTimeUnixNano: 1700000000000000001n,
        endTimeUnixNano: 1700000000000000002n,
        attributes: { big: Number.MAX_SAFE_INTEGER, list: [1, false], map: { k: 1.5 } },
        events: [],
        links: [],
        status: { code: "OK" },
        scope: "hand-made",
        resource: { "service.name": "other" },
      },
    ]);

    // resource_spans (field 1, length-delimited) announcing 16 bytes and holding 2.
    const truncated = await fetch(`${receiver.url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: new Uint8Array([0x0a, 0x10, 0x0a, 0x00]),
    });
    expect(truncated.status).toBe(400);
    expect(receiver.requests).toEqual([{ contentType: "application/json; charset=utf-8", spanCount: 1 }]);
  });

  it("answers an empty ExportTraceServiceResponse", async () => {
    const json = await fetch(`${receiver.url}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(json.status).toBe(200);
    expect(json.headers.get("content-type")).toBe("application/json");
    expect(await json.text()).toBe("{}");
    const proto = await fetch(`${receiver.url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: new Uint8Array(0),
    });
    expect(proto.status).toBe(200);
    expect(proto.headers.get("content-type")).toBe("application/x-protobuf");
    expect((await proto.arrayBuffer()).byteLength).toBe(0);
    expect(receiver.requests).toEqual([
      { contentType: "application/json", spanCount: 0 },
      { contentType: "application/x-protobuf", spanCount: 0 },
    ]);
  });
});
