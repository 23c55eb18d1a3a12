import type { Attributes, AttributeValue, HrTime, Link } from "@opentelemetry/api";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace";

/**
 * OTLP/protobuf encoding of an export request (ExportTraceServiceRequest,
 * opentelemetry-proto's field numbers), for the OTLP/HTTP exporter
 * (./tracing-sdk.ts). It writes what @opentelemetry/otlp-transformer's
 * ProtobufTraceSerializer writes, in one pass instead of two and with no
 * object a span (ids and short ASCII strings by hand, long strings by
 * Buffer's encoder): encoding was the largest part of tracing a checkout at
 * 100% sampling (bench/README.md, "Traces"). Zero counts and default enums
 * are left out, as proto3 allows. tests/otlp-protobuf.test.ts decodes both
 * encoders' output and compares.
 */
export function serializeSpans(spans: readonly ReadableSpan[]): Uint8Array {
  const writer = new Writer(Math.max(4096, spans.length * 384));
  for (const [resource, scopes] of groupByResourceAndScope(spans)) {
    writer.tag(1, LENGTH);
    const resourceSpans = writer.begin();
    writer.tag(1, LENGTH);
    const resourceStart = writer.begin();
    writeAttributes(writer, 1, resource.attributes);
    writer.end(resourceStart);
    for (const scoped of scopes.values()) {
      const scope = scoped[0]!.instrumentationScope;
      writer.tag(2, LENGTH);
      const scopeSpans = writer.begin();
      writer.tag(1, LENGTH);
      const scopeStart = writer.begin();
      writer.stringField(1, scope.name);
      if (scope.version) writer.stringField(2, scope.version);
      writer.end(scopeStart);
      for (const span of scoped) {
        writer.tag(2, LENGTH);
        writeSpan(writer, span);
      }
      if (scope.schemaUrl) writer.stringField(3, scope.schemaUrl);
      writer.end(scopeSpans);
    }
    if (resource.schemaUrl) writer.stringField(3, resource.schemaUrl);
    writer.end(resourceSpans);
  }
  return writer.finish();
}

const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;

/** SpanFlags: the W3C trace flags, and whether the parent was remote (flags 0x100 says the bit is known). */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

type Resource = ReadableSpan["resource"];
type Scope = ReadableSpan["instrumentationScope"];

function groupByResourceAndScope(spans: readonly ReadableSpan[]): Map<Resource, Map<Scope, ReadableSpan[]>> {
  const resources = new Map<Resource, Map<Scope, ReadableSpan[]>>();
  for (const span of spans) {
    let scopes = resources.get(span.resource);
    if (!scopes) resources.set(span.resource, (scopes = new Map()));
    let list = scopes.get(span.instrumentationScope);
    if (!list) scopes.set(span.instrumentationScope, (list = []));
    list.push(span);
  }
  return resources;
}

function writeSpan(writer: Writer, span: ReadableSpan): void {
  const start = writer.begin();
  const context = span.spanContext();
  writer.idField(1, context.traceId);
  writer.idField(2, context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) writer.stringField(3, traceState);
  const parent = span.parentSpanContext;
  if (parent?.spanId) writer.idField(4, parent.spanId);
  writer.stringField(5, span.name);
  // OTLP's SpanKind is the API's plus one (0 is UNSPECIFIED, left out).
  writer.countField(6, span.kind == null ? 0 : span.kind + 1);
  writer.timeField(7, span.startTime);
  writer.timeField(8, span.endTime);
  writeAttributes(writer, 9, span.attributes);
  writer.countField(10, span.droppedAttributesCount);
  for (const event of span.events) writeEvent(writer, event);
  writer.countField(12, span.droppedEventsCount);
  for (const link of span.links) writeLink(writer, link);
  writer.countField(14, span.droppedLinksCount);
  writer.tag(15, LENGTH);
  const status = writer.begin();
  if (span.status.message) writer.stringField(2, span.status.message);
  writer.countField(3, span.status.code);
  writer.end(status);
  writer.tag(16, FIXED32);
  writer.fixed32(spanFlags(context.traceFlags, parent?.isRemote));
  writer.end(start);
}

function writeEvent(writer: Writer, event: TimedEvent): void {
  writer.tag(11, LENGTH);
  const start = writer.begin();
  writer.timeField(1, event.time);
  writer.stringField(2, event.name);
  writeAttributes(writer, 3, event.attributes);
  writer.countField(4, event.droppedAttributesCount ?? 0);
  writer.end(start);
}

function writeLink(writer: Writer, link: Link): void {
  writer.tag(13, LENGTH);
  const start = writer.begin();
  writer.idField(1, link.context.traceId);
  writer.idField(2, link.context.spanId);
  const traceState = link.context.traceState?.serialize();
  if (traceState) writer.stringField(3, traceState);
  writeAttributes(writer, 4, link.attributes);
  writer.countField(5, link.droppedAttributesCount ?? 0);
  writer.tag(6, FIXED32);
  writer.fixed32(spanFlags(link.context.traceFlags, link.context.isRemote));
  writer.end(start);
}

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

/** Attributes as repeated KeyValue under `field`. */
function writeAttributes(writer: Writer, field: number, attributes: Attributes | undefined): void {
  if (!attributes) return;
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    writer.tag(field, LENGTH);
    writeKeyValue(writer, key, attributes[key]);
  }
}

function writeKeyValue(writer: Writer, key: string, value: unknown): void {
  const start = writer.begin();
  writer.stringField(1, key);
  writer.tag(2, LENGTH);
  const valueStart = writer.begin();
  writeAnyValue(writer, value);
  writer.end(valueStart);
  writer.end(start);
}

const INT64_MIN = -(2 ** 63);
const INT64_MAX = 2 ** 63;

/** AnyValue: string 1, bool 2, int64 3, double 4, array 5, kvlist 6, bytes 7; nothing for null or undefined (an empty value). */
function writeAnyValue(writer: Writer, value: unknown): void {
  switch (typeof value) {
    case "string":
      writer.stringField(1, value);
      return;
    case "boolean":
      writer.tag(2, VARINT);
      writer.varint(value ? 1 : 0);
      return;
    case "number":
      if (Number.isInteger(value) && value >= INT64_MIN && value < INT64_MAX) {
        writer.tag(3, VARINT);
        writer.varint(value);
      } else {
        writer.tag(4, FIXED64);
        writer.double(value);
      }
      return;
    case "object":
      if (value === null) return;
      if (value instanceof Uint8Array) {
        writer.tag(7, LENGTH);
        writer.bytes(value);
      } else if (Array.isArray(value)) {
        writer.tag(5, LENGTH);
        const start = writer.begin();
        for (const item of value as AttributeValue[]) {
          writer.tag(1, LENGTH);
          const itemStart = writer.begin();
          writeAnyValue(writer, item);
          writer.end(itemStart);
        }
        writer.end(start);
      } else {
        writer.tag(6, LENGTH);
        const start = writer.begin();
        writeAttributes(writer, 1, value as Attributes);
        writer.end(start);
      }
      return;
    default:
  }
}

/** Room left for a length-delimited field's length before its content is known: two bytes fit up to 16,383. */
const RESERVED = 2;

/**
 * A protobuf writer over one Buffer. A message's length goes before it but is
 * known after: `begin` leaves two bytes, `end` writes the varint there and
 * moves the content when it needs one byte or more than two.
 */
class Writer {
  #buffer: Buffer;
  #view: DataView;
  #pos = 0;

  constructor(bytes: number) {
    this.#buffer = Buffer.allocUnsafe(bytes);
    this.#view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset, this.#buffer.length);
  }

  finish(): Uint8Array {
    return this.#buffer.subarray(0, this.#pos);
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  begin(): number {
    this.#ensure(RESERVED);
    const at = this.#pos;
    this.#pos += RESERVED;
    return at;
  }

  end(at: number): void {
    const contentStart = at + RESERVED;
    const length = this.#pos - contentStart;
    const size = varintSize(length);
    if (size !== RESERVED) {
      this.#ensure(size - RESERVED);
      move(this.#buffer, contentStart, this.#pos, at + size);
      this.#pos += size - RESERVED;
    }
    // The room is there: write the length's bytes in place.
    let v = length;
    let pos = at;
    while (v > 127) {
      this.#buffer[pos++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.#buffer[pos] = v;
  }

  /** A non-negative integer, or a negative one as int64's ten-byte two's complement. */
  varint(value: number): void {
    this.#ensure(10);
    const buffer = this.#buffer;
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 127) {
        buffer[this.#pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      buffer[this.#pos++] = v;
      return;
    }
    let big = BigInt.asUintN(64, BigInt(value));
    while (big > 127n) {
      buffer[this.#pos++] = Number(big & 127n) | 128;
      big >>= 7n;
    }
    buffer[this.#pos++] = Number(big);
  }

  /** A count or enum field; zero, the default, is left out. */
  countField(field: number, value: number): void {
    if (!value) return;
    this.tag(field, VARINT);
    this.varint(value);
  }

  stringField(field: number, value: string): void {
    this.tag(field, LENGTH);
    const units = value.length;
    // Short ASCII (names, keys, most values) by hand: a native call costs more than the copy.
    if (units < 128 && isAscii(value)) {
      this.#ensure(1 + units);
      const buffer = this.#buffer;
      let pos = this.#pos;
      buffer[pos++] = units;
      for (let i = 0; i < units; i++) buffer[pos++] = value.charCodeAt(i);
      this.#pos = pos;
      return;
    }
    const length = Buffer.byteLength(value, "utf8");
    this.varint(length);
    this.#ensure(length);
    this.#pos += this.#buffer.write(value, this.#pos, length, "utf8");
  }

  /** A trace or span id, given in hex as the API keeps it, as its bytes; what is not hex (no id the SDK makes) reads as 0. */
  idField(field: number, hex: string): void {
    this.tag(field, LENGTH);
    const length = hex.length >>> 1;
    this.varint(length);
    this.#ensure(length);
    const buffer = this.#buffer;
    let pos = this.#pos;
    for (let i = 0; i < hex.length - 1; i += 2) buffer[pos++] = (nibble(hex.charCodeAt(i)) << 4) | nibble(hex.charCodeAt(i + 1));
    this.#pos = pos;
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.#ensure(value.length);
    this.#buffer.set(value, this.#pos);
    this.#pos += value.length;
  }

  /** An HrTime ([seconds, nanoseconds]) as fixed64 nanoseconds since the epoch, exactly (past 2^53). */
  timeField(field: number, [seconds, nanos]: HrTime): void {
    this.tag(field, FIXED64);
    // seconds * 1e9 + nanos, split into 32-bit halves without losing precision: seconds = hi * 2^16 + lo.
    const lo = (seconds % 0x10000) * 1e9;
    const hi = Math.floor(seconds / 0x10000) * 1e9;
    const low = (lo % 0x100000000) + (hi % 0x10000) * 0x10000 + nanos;
    const high = Math.floor(lo / 0x100000000) + Math.floor(hi / 0x10000) + Math.floor(low / 0x100000000);
    this.#ensure(8);
    this.#view.setUint32(this.#pos, low >>> 0, true);
    this.#view.setUint32(this.#pos + 4, high >>> 0, true);
    this.#pos += 8;
  }

  fixed32(value: number): void {
    this.#ensure(4);
    this.#view.setUint32(this.#pos, value >>> 0, true);
    this.#pos += 4;
  }

  double(value: number): void {
    this.#ensure(8);
    this.#view.setFloat64(this.#pos, value, true);
    this.#pos += 8;
  }

  #ensure(bytes: number): void {
    const needed = this.#pos + bytes;
    if (needed <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.#buffer.copy(grown, 0, 0, this.#pos);
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer, grown.byteOffset, grown.length);
  }
}

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 127) return false;
  return true;
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return 0;
}

/** Moves bytes [from, to) to start at `at`: by hand when few, as most messages are. */
function move(buffer: Buffer, from: number, to: number, at: number): void {
  if (to - from > 64) {
    buffer.copyWithin(at, from, to);
    return;
  }
  if (at < from) for (let i = from; i < to; i++) buffer[at + i - from] = buffer[i]!;
  else for (let i = to - 1; i >= from; i--) buffer[at + i - from] = buffer[i]!;
}

function varintSize(value: number): number {
  let size = 1;
  while (value > 127) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}
