import { context, createTraceState, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Link } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { SimpleSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { serializeSpans } from "../src/lib/otlp-protobuf.js";

/**
 * The gateway's OTLP/protobuf encoder against OpenTelemetry's own: random
 * spans made by the real SDK (attributes of every type, events, links, remote
 * parents, trace state, dropped counts, several resources and scopes), encoded
 * by both, read back by a decoder that knows opentelemetry-proto's trace
 * messages and checks each field's wire type: equal.
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

const WIRE: Record<Scalar, number> = { string: 2, bytes: 2, varint: 0, int64: 0, fixed64: 1, fixed32: 5, double: 1 };
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** One message as a plain object; a oneof (AnyValue) keeps only the fields present. Each field's wire type must be its type's, strings valid UTF-8. */
function decode(buf: Buffer, message: string): Record<string, unknown> {
  const fields = SCHEMA[message]!;
  const out: Record<string, unknown> = {};
  if (message !== "AnyValue") {
    for (const [name, type, repeated] of Object.values(fields)) {
      out[name] = repeated ? [] : typeof type === "object" ? undefined : type === "string" ? "" : type === "bytes" ? "" : type === "double" ? 0 : 0n;
    }
  }
  let pos = 0;
  const take = (n: number) => {
    if (pos + n > buf.length) throw new Error(`${message}: truncated at ${pos}`);
    pos += n;
    return pos - n;
  };
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = buf[take(1)]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
    throw new Error(`${message}: a varint longer than 10 bytes`);
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const [no, wire] = [key >>> 3, key & 7];
    const field = fields[no];
    if (!field) throw new Error(`${message} has no field ${no}`);
    const [name, type, repeated] = field;
    expect(wire, `${message}.${name}'s wire type`).toBe(typeof type === "object" ? 2 : WIRE[type]);
    let value: unknown;
    if (wire === 0) value = type === "int64" ? BigInt.asIntN(64, varint()) : varint();
    else if (wire === 1) value = type === "double" ? buf.readDoubleLE(take(8)) : buf.readBigUInt64LE(take(8));
    else if (wire === 5) value = BigInt(buf.readUInt32LE(take(4)));
    else {
      const length = Number(varint());
      const bytes = buf.subarray(take(length), pos);
      value = typeof type === "object" ? decode(bytes, type.message) : type === "string" ? utf8.decode(bytes) : bytes.toString("hex");
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
// size "max": fast-check otherwise keeps strings far below their maxLength.
const text = fc.oneof(
  { arbitrary: fc.string({ maxLength: 60, size: "max" }), weight: 4 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 200, size: "max" }), weight: 4 },
  { arbitrary: fc.string({ unit: "grapheme", minLength: 43, maxLength: 80, size: "max" }), weight: 2 },
  { arbitrary: fc.string({ minLength: 120, maxLength: 20_000, size: "max" }), weight: 1 },
);
const primitive = fc.oneof(text, fc.boolean(), fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), fc.maxSafeInteger(), fc.double({ noNaN: true }), fc.constant(null));
/** What the SDK takes as an attribute value (AnyValue): primitives, bytes, arrays (mixed and nested), and key/value lists. */
const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    primitive,
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), tie("value"), { maxKeys: 3 }),
  ),
})).value;
const attributes = fc.dictionary(fc.string({ minLength: 1, maxLength: 40, size: "max" }), anyValue, { maxKeys: 6 }) as fc.Arbitrary<Attributes>;
const traceState = fc.option(fc.constantFrom("vendor=value", "a=1,b=two", "congo=t61rcWkgMzE"), { nil: undefined }).map((v) => (v ? createTraceState(v) : undefined));
const spanContext = (flags: fc.Arbitrary<number>) => fc.record({ traceId: hex(16), spanId: hex(8), traceFlags: flags, isRemote: fc.boolean(), traceState });
const spanInput = fc.record({
  name: text,
  kind: fc.constantFrom(SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER),
  attributes,
  // A parent must be sampled for its child to be recorded; its other flag bits are free.
  parent: fc.option(spanContext(fc.integer({ min: 0, max: 255 }).map((f) => f | TraceFlags.SAMPLED)), { nil: undefined }),
  links: fc.array(fc.record({ context: spanContext(fc.integer({ min: 0, max: 255 })), attributes }), { maxLength: 3 }),
  events: fc.array(fc.record({ name: text, attributes }), { maxLength: 3 }),
  status: fc.record({ code: fc.constantFrom(SpanStatusCode.UNSET, SpanStatusCode.OK, SpanStatusCode.ERROR), message: fc.option(text, { nil: undefined }) }),
  startedAt: fc.integer({ min: 0, max: 4_000_000_000_000 }),
  durationMs: fc.double({ min: 0, max: 100_000, noNaN: true }),
  tracer: fc.constantFrom(0, 1, 2, 3),
});

type SpanInput = typeof spanInput extends fc.Arbitrary<infer T> ? T : never;

/** Records the inputs' spans with the real SDK: two resources (one with a schema URL, one with tight span limits, so counts are dropped), four scopes. */
function record(inputs: readonly SpanInput[]): ReadableSpan[] {
  const { spans, processor } = recorder();
  const providers = [
    new TracerProvider({ resource: resourceFromAttributes({ "service.name": "shop-gateway", "service.instance.id": "a" }, { schemaUrl: "https://opentelemetry.io/schemas/1.30.0" }), spanProcessors: [processor] }),
    new TracerProvider({
      resource: resourceFromAttributes({ "service.name": "other", count: 3 }),
      spanLimits: { attributeCountLimit: 2, eventCountLimit: 1, linkCountLimit: 1, attributePerEventCountLimit: 1, attributePerLinkCountLimit: 1 },
      spanProcessors: [processor],
    }),
  ];
  const tracers = [
    providers[0]!.getTracer("shop-gateway"),
    providers[0]!.getTracer("graphql", "1.2.3", { schemaUrl: "https://example.test/schema" }),
    providers[1]!.getTracer("shop-gateway"),
    providers[1]!.getTracer("other", "0.1"),
  ];
  for (const input of inputs) {
    const parent = input.parent ? trace.setSpanContext(context.active(), input.parent) : context.active();
    const links: Link[] = input.links;
    const span = tracers[input.tracer]!.startSpan(input.name, { kind: input.kind, attributes: input.attributes, links, startTime: input.startedAt }, parent);
    for (const event of input.events) span.addEvent(event.name, event.attributes);
    span.setStatus(input.status);
    span.end(input.startedAt + input.durationMs);
  }
  expect(spans).toHaveLength(inputs.length);
  return spans;
}

const bothEncoders = (spans: ReadableSpan[]) => [decodeRequest(serializeSpans(spans)), decodeRequest(ProtobufTraceSerializer.serializeRequest(spans)!)];

describe("the OTLP/protobuf encoder", () => {
  it("writes what OpenTelemetry's own serializer writes, span for span", () => {
    fc.assert(
      fc.property(fc.array(spanInput, { minLength: 1, maxLength: 12 }), (inputs) => {
        const [ours, theirs] = bothEncoders(record(inputs));
        expect(ours).toEqual(theirs);
      }),
      // No shrinking: with strings of up to 20,000 characters it would take minutes; the seed and the case are reported.
      { numRuns: 150, endOnFailure: true },
    );
  });

  it("writes large messages and large batches the same: a 20 KB attribute, a long non-ASCII name, 500 spans", () => {
    const [sample] = fc.sample(spanInput, { numRuns: 1, seed: 7 });
    const large: SpanInput = { ...sample!, tracer: 0, name: "é".repeat(60), attributes: { "db.query.text": "SELECT ".repeat(3_000), other: "ü".repeat(50) } };
    const many = fc.sample(spanInput, { numRuns: 500, seed: 11 });
    for (const inputs of [[large], [large, ...many]]) {
      const [ours, theirs] = bothEncoders(record(inputs));
      expect(ours).toEqual(theirs);
    }
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
