import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/**
 * An in-process OTLP/HTTP trace receiver for tests: it accepts what the
 * OpenTelemetry exporters POST to `/v1/traces`, in OTLP/JSON or OTLP/protobuf
 * (gzip-compressed or not), and decodes both into the same `ReceivedSpan`s.
 * Protobuf is read by a small wire-format reader below (no protobuf library),
 * following the field numbers of opentelemetry-proto.
 */

/** An attribute value as decoded: int64 as number, bytes as base64, kvlist as an object. */
export type AttributeValue = string | number | boolean | unknown[] | { [key: string]: unknown };
/** Attributes by key. */
export type Attributes = Record<string, AttributeValue>;

/** OTLP's SpanKind, by its enum name without the `SPAN_KIND_` prefix. */
export type SpanKindName = "UNSPECIFIED" | "INTERNAL" | "SERVER" | "CLIENT" | "PRODUCER" | "CONSUMER";
/** OTLP's Status.StatusCode, without the `STATUS_CODE_` prefix. */
export type StatusCodeName = "UNSET" | "OK" | "ERROR";

/** One span as the receiver decoded it; ids are lowercase hex, as `span.spanContext()` gives them. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  kind: SpanKindName;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  events: { name: string; timeUnixNano: bigint; attributes: Attributes }[];
  links: { traceId: string; spanId: string; attributes: Attributes }[];
  status: { code: StatusCodeName; message?: string };
  /** The instrumentation scope's name (the tracer's name). */
  scope: string;
  /** The resource's attributes, e.g. `service.name`. */
  resource: Attributes;
}

/** A running receiver; see startOtlpReceiver. */
export interface OtlpReceiver {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT; exporters POST to `${url}/v1/traces`. */
  url: string;
  /** Every span received so far, in arrival order. */
  spans: ReceivedSpan[];
  /** Every accepted export request: its Content-Type header and how many spans it held. */
  requests: { contentType: string; spanCount: number }[];
  /** Resolves with the spans once `predicate(spans)` holds; rejects after timeoutMs, naming the spans received. */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

const SPAN_KINDS: readonly SpanKindName[] = ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"];
const STATUS_CODES: readonly StatusCodeName[] = ["UNSET", "OK", "ERROR"];

/** Starts a receiver on 127.0.0.1 with a free port. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpReceiver["requests"] = [];

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(400, { "content-type": "text/plain" });
      res.end(`cannot decode the export request: ${error instanceof Error ? error.message : String(error)}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST" || new URL(req.url ?? "/", "http://receiver").pathname !== "/v1/traces") {
      req.resume();
      res.writeHead(404).end();
      return;
    }
    const contentType = req.headers["content-type"] ?? "";
    const mediaType = contentType.split(";")[0]?.trim().toLowerCase();
    if (mediaType !== "application/json" && mediaType !== "application/x-protobuf") {
      req.resume();
      res.writeHead(415, { "content-type": "text/plain" }).end("expected application/json or application/x-protobuf");
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body = Buffer.concat(chunks);
    if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
    const json = mediaType === "application/json";
    const received = json ? decodeJsonRequest(JSON.parse(body.toString("utf8"))) : decodeProtobufRequest(body);
    spans.push(...received);
    requests.push({ contentType, spanCount: received.length });
    // An empty ExportTraceServiceResponse: no partial_success.
    res.writeHead(200, { "content-type": mediaType });
    res.end(json ? "{}" : "");
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    async waitFor(predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(spans)) {
        if (Date.now() > deadline) {
          const names = spans.map((s) => s.name).join(", ") || "none";
          throw new Error(`OTLP receiver: no match after ${timeoutMs} ms; spans received (${spans.length}): ${names}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return [...spans];
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

// ---------------------------------------------------------------------------
// OTLP/JSON: the proto3 JSON mapping of ExportTraceServiceRequest, with ids in hex
// (as OTLP/JSON specifies, unlike plain proto3 JSON's base64), 64-bit integers as
// strings or numbers, and enums as numbers (names accepted too).

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** An id in hex (the OTLP/JSON form); base64, as a generic proto3 JSON encoder would send it, is converted. */
function jsonId(v: unknown): string {
  const s = str(v);
  return /^(?:[0-9a-f]{16}|[0-9a-f]{32})?$/i.test(s) ? s.toLowerCase() : Buffer.from(s, "base64").toString("hex");
}

/** A fixed64 timestamp: a decimal string in OTLP/JSON, or a number. */
const jsonNanos = (v: unknown): bigint => BigInt(typeof v === "number" ? v : str(v) || 0);

function jsonEnum<T extends string>(v: unknown, names: readonly T[], prefix: string): T {
  const i = typeof v === "string" ? names.indexOf(v.replace(prefix, "") as T) : Number(v ?? 0);
  return names[i] ?? names[0]!;
}

function jsonAnyValue(v: unknown): AttributeValue | undefined {
  const a = obj(v);
  if ("stringValue" in a) return str(a.stringValue);
  if ("boolValue" in a) return a.boolValue === true;
  if ("intValue" in a) return Number(a.intValue);
  if ("doubleValue" in a) return Number(a.doubleValue);
  if ("arrayValue" in a) return list(obj(a.arrayValue).values).map(jsonAnyValue);
  if ("kvlistValue" in a) return jsonAttributes(obj(a.kvlistValue).values);
  if ("bytesValue" in a) return str(a.bytesValue);
  return undefined;
}

function jsonAttributes(v: unknown): Attributes {
  const out: Attributes = {};
  for (const kv of list(v).map(obj)) {
    const value = jsonAnyValue(kv.value);
    if (value !== undefined) out[str(kv.key)] = value;
  }
  return out;
}

function decodeJsonRequest(body: unknown): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of list(obj(body).resourceSpans).map(obj)) {
    const resource = jsonAttributes(obj(rs.resource).attributes);
    for (const ss of list(rs.scopeSpans).map(obj)) {
      const scope = str(obj(ss.scope).name);
      for (const s of list(ss.spans).map(obj)) {
        const status = obj(s.status);
        out.push({
          traceId: jsonId(s.traceId),
          spanId: jsonId(s.spanId),
          parentSpanId: jsonId(s.parentSpanId),
          name: str(s.name),
          kind: jsonEnum(s.kind, SPAN_KINDS, "SPAN_KIND_"),
          startTimeUnixNano: jsonNanos(s.startTimeUnixNano),
          endTimeUnixNano: jsonNanos(s.endTimeUnixNano),
          attributes: jsonAttributes(s.attributes),
          events: list(s.events)
            .map(obj)
            .map((e) => ({
              name: str(e.name),
              timeUnixNano: jsonNanos(e.timeUnixNano),
              attributes: jsonAttributes(e.attributes),
            })),
          links: list(s.links)
            .map(obj)
            .map((l) => ({ traceId: jsonId(l.traceId), spanId: jsonId(l.spanId), attributes: jsonAttributes(l.attributes) })),
          status: {
            code: jsonEnum(status.code, STATUS_CODES, "STATUS_CODE_"),
            ...(str(status.message) ? { message: str(status.message) } : {}),
          },
          scope,
          resource,
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// OTLP/protobuf: a minimal reader of the protobuf wire format.

/** One field of a message: a varint's value, or the raw bytes of a fixed64, fixed32 or length-delimited field. */
type Field = { no: number; wire: 0; value: bigint } | { no: number; wire: 1 | 2 | 5; value: Buffer };

/** The fields of a message in order; unknown ones are simply not looked at by the callers. */
function* fields(buf: Buffer): Generator<Field> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (pos >= buf.length) throw new Error("truncated varint");
      const byte = buf[pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
  };
  const take = (n: number): Buffer => {
    if (pos + n > buf.length) throw new Error("truncated field");
    const bytes = buf.subarray(pos, pos + n);
    pos += n;
    return bytes;
  };
  while (pos < buf.length) {
    const tag = varint();
    const no = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) yield { no, wire, value: varint() };
    else if (wire === 1) yield { no, wire, value: take(8) };
    else if (wire === 2) yield { no, wire, value: take(Number(varint())) };
    else if (wire === 5) yield { no, wire, value: take(4) };
    else throw new Error(`unsupported wire type ${wire} (field ${no})`);
  }
}

function bytes(f: Field): Buffer {
  if (f.wire !== 2) throw new Error(`field ${f.no}: expected length-delimited, got wire type ${f.wire}`);
  return f.value;
}

function varint(f: Field): bigint {
  if (f.wire !== 0) throw new Error(`field ${f.no}: expected varint, got wire type ${f.wire}`);
  return f.value;
}

function fixed64(f: Field): Buffer {
  if (f.wire !== 1) throw new Error(`field ${f.no}: expected fixed64, got wire type ${f.wire}`);
  return f.value;
}

/** AnyValue: string_value=1, bool_value=2, int_value=3, double_value=4, array_value=5, kvlist_value=6, bytes_value=7. */
function protoAnyValue(buf: Buffer): AttributeValue | undefined {
  let value: AttributeValue | undefined;
  for (const f of fields(buf)) {
    if (f.no === 1) value = bytes(f).toString("utf8");
    else if (f.no === 2) value = varint(f) !== 0n;
    else if (f.no === 3) value = Number(BigInt.asIntN(64, varint(f)));
    else if (f.no === 4) value = fixed64(f).readDoubleLE(0);
    // ArrayValue.values=1 (AnyValue); KeyValueList.values=1 (KeyValue).
    else if (f.no === 5) value = [...fields(bytes(f))].filter((v) => v.no === 1).map((v) => protoAnyValue(bytes(v)));
    else if (f.no === 6) value = protoAttributes([...fields(bytes(f))].filter((v) => v.no === 1));
    else if (f.no === 7) value = bytes(f).toString("base64");
  }
  return value;
}

/** Repeated KeyValue (key=1, value=2) fields, given as the fields that hold them. */
function protoAttributes(kvs: Field[]): Attributes {
  const out: Attributes = {};
  for (const kv of kvs) {
    let key = "";
    let value: AttributeValue | undefined;
    for (const f of fields(bytes(kv))) {
      if (f.no === 1) key = bytes(f).toString("utf8");
      else if (f.no === 2) value = protoAnyValue(bytes(f));
    }
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Span fields by number (see opentelemetry/proto/trace/v1/trace.proto). */
function protoSpan(buf: Buffer, scope: string, resource: Attributes): ReceivedSpan {
  const span: ReceivedSpan = {
    traceId: "",
    spanId: "",
    parentSpanId: "",
    name: "",
    kind: "UNSPECIFIED",
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    events: [],
    links: [],
    status: { code: "UNSET" },
    scope,
    resource,
  };
  const attributes: Field[] = [];
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1: span.traceId = bytes(f).toString("hex"); break;
      case 2: span.spanId = bytes(f).toString("hex"); break;
      case 4: span.parentSpanId = bytes(f).toString("hex"); break;
      case 5: span.name = bytes(f).toString("utf8"); break;
      case 6: span.kind = SPAN_KINDS[Number(varint(f))] ?? "UNSPECIFIED"; break;
      case 7: span.startTimeUnixNano = fixed64(f).readBigUInt64LE(0); break;
      case 8: span.endTimeUnixNano = fixed64(f).readBigUInt64LE(0); break;
      case 9: attributes.push(f); break;
      case 11: span.events.push(protoEvent(bytes(f))); break;
      case 13: span.links.push(protoLink(bytes(f))); break;
      case 15: span.status = protoStatus(bytes(f)); break;
    }
  }
  span.attributes = protoAttributes(attributes);
  return span;
}

/** Span.Event: time_unix_nano=1 (fixed64), name=2, attributes=3. */
function protoEvent(buf: Buffer): ReceivedSpan["events"][number] {
  const all = [...fields(buf)];
  const time = all.find((f) => f.no === 1);
  const name = all.find((f) => f.no === 2);
  return {
    name: name ? bytes(name).toString("utf8") : "",
    timeUnixNano: time ? fixed64(time).readBigUInt64LE(0) : 0n,
    attributes: protoAttributes(all.filter((f) => f.no === 3)),
  };
}

/** Span.Link: trace_id=1, span_id=2, attributes=4. */
function protoLink(buf: Buffer): ReceivedSpan["links"][number] {
  const all = [...fields(buf)];
  const id = (no: number) => {
    const f = all.find((g) => g.no === no);
    return f ? bytes(f).toString("hex") : "";
  };
  return { traceId: id(1), spanId: id(2), attributes: protoAttributes(all.filter((f) => f.no === 4)) };
}

/** Status: message=2, code=3. */
function protoStatus(buf: Buffer): ReceivedSpan["status"] {
  const status: ReceivedSpan["status"] = { code: "UNSET" };
  for (const f of fields(buf)) {
    if (f.no === 2 && bytes(f).length > 0) status.message = bytes(f).toString("utf8");
    else if (f.no === 3) status.code = STATUS_CODES[Number(varint(f))] ?? "UNSET";
  }
  return status;
}

/**
 * ExportTraceServiceRequest.resource_spans=1; ResourceSpans.resource=1, scope_spans=2;
 * Resource.attributes=1; ScopeSpans.scope=1, spans=2; InstrumentationScope.name=1.
 */
function decodeProtobufRequest(buf: Buffer): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of fields(buf)) {
    if (rs.no !== 1) continue;
    const parts = [...fields(bytes(rs))];
    const resourceFields = parts.filter((f) => f.no === 1).flatMap((f) => [...fields(bytes(f))]);
    const resource = protoAttributes(resourceFields.filter((f) => f.no === 1));
    for (const ss of parts.filter((f) => f.no === 2)) {
      const ssFields = [...fields(bytes(ss))];
      const scopeFields = ssFields.filter((f) => f.no === 1).flatMap((f) => [...fields(bytes(f))]);
      const name = scopeFields.find((f) => f.no === 1);
      const scope = name ? bytes(name).toString("utf8") : "";
      for (const s of ssFields.filter((f) => f.no === 2)) out.push(protoSpan(bytes(s), scope, resource));
    }
  }
  return out;
}
