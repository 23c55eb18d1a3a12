import { context, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Link } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { SimpleSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { serializeSpans } from "../src/lib/otlp-protobuf.js";

/**
 * The gateway's OTLP/protobuf encoder against OpenTelemetry's own: random
 * spans made by the real SDK (attributes of every type, events, links, remote
 * parents, trace state, several resources and scopes), encoded by both, read
 * back by a decoder that knows opentelemetry-proto's trace messages, equal.
 */

// ---------------------------------------------------------------------------
// A decoder for ExportTraceServiceRequest, by opentelemetry-proto's field numbers.
// Every field is read, absent scalars as their proto3 default, so "left out" and "zero" compare equal.

type Scalar = "string" | "bytes" | "varint" | "int64" | "fixed64" | "fixed32" | "double";
type Field = [name: string, type: Scalar | { message: string }, repeated?: true];

const SCHEMA: Record<string, Record<number, Field>> = {
  Request: { 1: ["resourceSpans", { message: "ResourceSpans" }, true] },
  ResourceSpans: { 1: ["resource", { message: "Resource" }], 2: ["scopeSpans", { message: "ScopeSpans" }, true], 3: ["schemaUrl", "string"] },
  Resource: { 1: ["attributes", { message: "KeyValue" }, true], 2: ["droppedAttributesCount", "varint"] },
  ScopeSpans: { 1: ["scope", { message: "Scope" }], 2: ["spans", { message: "Span" }, true], 3: ["schemaUrl", "string"] },
  Scope: { 1: ["name", "string"], 2: ["version", "string"], 3: ["attributes", { message: "KeyValue" }, true], 4: ["droppedAttributesCount", "varint"] },
  Span: {
    1: ["traceId", "bytes"], 2: ["spanId", "bytes"], 3: ["traceState", "string"], 4: ["parentSpanId", "bytes"], 5: ["name", "string"],
    6: ["kind", "varint"], 7: ["startTimeUnixNano", "fixed64"], 8: ["endTimeUnixNano", "fixed64"], 9: ["attributes", { message: "KeyValue" }, true],
    10: ["droppedAttributesCount", "varint"], 11: ["events", { message: "Event" }, true], 12: ["droppedEventsCount", "varint"],
    13: ["links", { message: "Link" }, true], 14: ["droppedLinksCount", "varint"], 15: ["status", { message: "Status" }], 16: ["flags", "fixed32"],
  },
  Event: { 1: ["timeUnixNano", "fixed64"], 2: ["name", "string"], 3: ["attributes", { message: "KeyValue" }, true], 4: ["droppedAttributesCount", "varint"] },
  Link: {
    1: ["traceId", "bytes"], 2: ["spanId", "bytes"], 3: ["traceState", "string"], 4: ["attributes", { message: "KeyValue" }, true],
    5: ["droppedAttributesCount", "varint"], 6: ["flags", "fixed32"],
  },
  Status: { 2: ["message", "string"], 3: ["code", "varint"] },
  KeyValue: { 1: ["key", "string"], 2: ["value", { message: "AnyValue" }] },
  AnyValue: {
    1: ["stringValue", "string"], 2: ["boolValue", "varint"], 3: ["intValue", "int64"], 4: ["doubleValue", "double"],
    5: ["arrayValue", { message: "ArrayValue" }], 6: ["kvlistValue", { message: "KeyValueList" }], 7: ["bytesValue", "bytes"],
  },
  ArrayValue: { 1: ["values", { message: "AnyValue" }, true] },
  KeyValueList: { 1: ["values", { message: "KeyValue" }, true] },
};

/** One message as a plain object; a oneof (AnyValue) keeps only the fields present. */
function decode(buf: Buffer, message: string): Record<string, unknown> {
  const fields = SCHEMA[message]!;
  const out: Record<string, unknown> = {};
  if (message !== "AnyValue") {
    for (const [name, type, repeated] of Object.values(fields)) {
      out[name] = repeated ? [] : typeof type === "object" ? undefined : type === "string" ? "" : type === "bytes" ? "" : type === "double" ? 0 : 0n;
    }
  }
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buf[pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const [no, wire] = [key >>> 3, key & 7];
    const field = fields[no];
    expect(field, `${message} has no field ${no}`).toBeDefined();
    const [name, type, repeated] = field!;
    let value: unknown;
    if (wire === 0) value = type === "int64" ? BigInt.asIntN(64, varint()) : varint();
    else if (wire === 1) {
      value = type === "double" ? buf.readDoubleLE(pos) : buf.readBigUInt64LE(pos);
      pos += 8;
    } else if (wire === 5) {
      value = BigInt(buf.readUInt32LE(pos));
      pos += 4;
    } else {
      expect(wire).toBe(2);
      const length = Number(varint());
      const bytes = buf.subarray(pos, pos + length);
      pos += length;
      value = typeof type === "object" ? decode(bytes, type.message) : type === "string" ? bytes.toString("utf8") : bytes.toString("hex");
    }
    if (repeated) (out[name] as unknown[]).push(value);
    else out[name] = value;
  }
  return out;
}

const decodeRequest = (bytes: Uint8Array) => decode(Buffer.from(bytes), "Request");

// ---------------------------------------------------------------------------
// Spans from the real SDK.

function recorder() {
  const spans: ReadableSpan[] = [];
  const exporter: SpanExporter = {
    export: (batch, done) => {
      spans.push(...batch);
      done({ code: 0 });
    },
    shutdown: async () => {},
  };
  return { spans, processor: new SimpleSpanProcessor({ exporter }) };
}

const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString("hex"));
const text = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: "binary", maxLength: 200 }), fc.string({ minLength: 120, maxLength: 20_000 }));
const primitive = fc.oneof(
  text,
  fc.boolean(),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  fc.maxSafeInteger(),
  fc.double({ noNaN: true }),
);
const attributes: fc.Arbitrary<Attributes> = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.oneof(primitive, fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 }), fc.array(fc.integer(), { maxLength: 4 }), fc.array(fc.boolean(), { maxLength: 3 })),
  { maxKeys: 6 },
);
const spanContext = fc.record({ traceId: hex(16), spanId: hex(8), traceFlags: fc.constantFrom(TraceFlags.SAMPLED, TraceFlags.NONE | 1), isRemote: fc.boolean() });
const spanInput = fc.record({
  name: text,
  kind: fc.constantFrom(SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER),
  attributes,
  parent: fc.option(spanContext, { nil: undefined }),
  links: fc.array(fc.record({ context: spanContext, attributes }), { maxLength: 2 }),
  events: fc.array(fc.record({ name: text, attributes }), { maxLength: 2 }),
  status: fc.record({ code: fc.constantFrom(SpanStatusCode.UNSET, SpanStatusCode.OK, SpanStatusCode.ERROR), message: fc.option(text, { nil: undefined }) }),
  startedAt: fc.integer({ min: 0, max: 4_000_000_000_000 }),
  durationMs: fc.double({ min: 0, max: 100_000, noNaN: true }),
  tracer: fc.constantFrom(0, 1, 2),
});

describe("the OTLP/protobuf encoder", () => {
  it("writes what OpenTelemetry's own serializer writes, span for span", () => {
    fc.assert(
      fc.property(fc.array(spanInput, { minLength: 1, maxLength: 12 }), (inputs) => {
        const { spans, processor } = recorder();
        const providers = [
          new TracerProvider({ resource: resourceFromAttributes({ "service.name": "shop-gateway", "service.instance.id": "a" }), spanProcessors: [processor] }),
          new TracerProvider({ resource: resourceFromAttributes({ "service.name": "other", count: 3 }), spanProcessors: [processor] }),
        ];
        const tracers = [providers[0]!.getTracer("shop-gateway"), providers[0]!.getTracer("graphql", "1.2.3"), providers[1]!.getTracer("shop-gateway")];
        for (const input of inputs) {
          const parent = input.parent ? trace.setSpanContext(context.active(), input.parent) : context.active();
          const links: Link[] = input.links;
          const span = tracers[input.tracer]!.startSpan(input.name, { kind: input.kind, attributes: input.attributes, links, startTime: input.startedAt }, parent);
          for (const event of input.events) span.addEvent(event.name, event.attributes);
          span.setStatus(input.status);
          span.end(input.startedAt + input.durationMs);
        }
        expect(spans).toHaveLength(inputs.length);
        expect(decodeRequest(serializeSpans(spans))).toEqual(decodeRequest(ProtobufTraceSerializer.serializeRequest(spans)!));
      }),
      { numRuns: 150 },
    );
  });

  it("keeps exact nanoseconds past 2^53 and ids as bytes", () => {
    const { spans, processor } = recorder();
    const tracer = new TracerProvider({ spanProcessors: [processor] }).getTracer("t");
    const parent = trace.setSpanContext(context.active(), { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1, isRemote: true });
    tracer.startSpan("s", { startTime: [1_764_000_000, 123_456_789] }, parent).end([1_764_000_001, 999_999_999]);
    const [resourceSpans] = decodeRequest(serializeSpans(spans)).resourceSpans as { scopeSpans: { spans: Record<string, unknown>[] }[] }[];
    const span = resourceSpans!.scopeSpans[0]!.spans[0]!;
    expect(span.startTimeUnixNano).toBe(1_764_000_000_123_456_789n);
    expect(span.endTimeUnixNano).toBe(1_764_000_001_999_999_999n);
    expect(span.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(span.parentSpanId).toBe("b7ad6b7169203331");
    // The parent was remote: SpanFlags say so (0x100 the bit is known, 0x200 remote), with the sampled flag.
    expect(span.flags).toBe(0x301n);
  });
});
