import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type Tracer,
} from "@opentelemetry/api";

import { DomainError, TransientError } from "../errors.js";

export { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Attributes, type Span };

/**
 * The gateway's spans (docs/observability.md). Tracing is off unless the
 * OTEL_* settings turn it on (./tracing-sdk.ts); while off, every helper here
 * is one branch and calls no OpenTelemetry code, so its cost is nil
 * (bench/README.md measures it).
 */
let tracer: Tracer | undefined;

/** Called once by the SDK's setup, after it registered the global tracer provider. */
export function enableTracing(): void {
  tracer = trace.getTracer("shop-gateway");
}

export function disableTracing(): void {
  tracer = undefined;
}

export function tracingEnabled(): boolean {
  return tracer !== undefined;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** A performance.now() reading, for spans recorded after the fact (the SDK maps it onto its clock). */
  startTime?: number;
  /** The parent, when not the active span (a trace continued from headers). */
  parent?: Context;
  /** Only under a parent: a statement or transaction of a background poll is no trace of its own. */
  childOnly?: boolean;
}

/**
 * Runs fn in a span that is the active one for everything fn starts (SQL,
 * provider calls, nested steps), and ends it when fn settles; a throw marks it
 * as an error. Without tracing, just fn().
 */
export function withSpan<T>(name: string, options: SpanOptions, fn: (span?: Span) => Promise<T>): Promise<T> {
  if (!tracer) return fn();
  const parent = options.parent ?? context.active();
  if (skipUnder(trace.getSpan(parent), options.childOnly)) return fn();
  // The SDK reads the span's own options (kind, attributes, links, startTime) and ignores parent and childOnly.
  const span = tracer.startSpan(name, options, parent);
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await fn(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Starts a span the caller ends (an execute phase); undefined while tracing is
 * off or under a parent that is not recording. A request's span is always
 * made (`always`): even unsampled, it carries the caller's trace onwards.
 */
export function startSpan(name: string, options: SpanOptions, parent: Context = context.active(), always = false): Span | undefined {
  if (!tracer) return undefined;
  return !always && skipUnder(trace.getSpan(parent), false) ? undefined : tracer.startSpan(name, options, parent);
}

/**
 * The active context when a child span recorded now would be sampled
 * (`childOnly`: only under a parent), else undefined: callers with a span to
 * describe ask first and build nothing when the answer is no.
 */
export function recordingContext(childOnly: boolean): Context | undefined {
  if (!tracer) return undefined;
  const active = context.active();
  return skipUnder(trace.getSpan(active), childOnly) ? undefined : active;
}

/** Records a span that already happened (a statement timed by its runner) under parent, from recordingContext; times are performance.now() readings. */
export function recordSpan(parent: Context, name: string, options: Omit<SpanOptions, "parent" | "childOnly"> & { startTime: number }, endTime: number): void {
  tracer?.startSpan(name, options, parent).end(endTime);
}

/**
 * No child under a parent that is not sampled: the standard samplers decide a
 * child as they decided its parent (the parent's flag, or the same trace id),
 * so the SDK would make a span that records nothing, at the cost of an id and
 * the attributes' checks, for each of a request's statements. The parent
 * stays active, so the trace still propagates.
 */
function skipUnder(parent: Span | undefined, childOnly: boolean | undefined): boolean {
  return parent ? !(parent.spanContext().traceFlags & TraceFlags.SAMPLED) : childOnly === true;
}

/** Runs fn with span as the active span. */
export function inContextOf<T>(span: Span | undefined, fn: () => T): T {
  return span ? context.with(trace.setSpan(context.active(), span), fn) : fn();
}

/**
 * A throw ends a span: an expected business answer (a declined card, no stock,
 * bad input: a DomainError that is not transient) only names its code; a
 * failure (a dependency down, a bug) marks the span as an error, so error
 * traces are the ones worth reading.
 */
export function failSpan(span: Span, error: unknown): void {
  if (error instanceof DomainError && !(error instanceof TransientError)) {
    span.setAttribute("error.type", error.code);
    return;
  }
  span.recordException(error instanceof Error ? error : String(error));
  // The SDK cuts attribute values (the exception's message and stack), not a status message: an error may quote a client's text.
  const message = error instanceof Error ? error.message : String(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: message.length > MAX_STATUS_MESSAGE ? `${message.slice(0, MAX_STATUS_MESSAGE)}...` : message });
}

const MAX_STATUS_MESSAGE = 1_024;

/** The active span's ids, for log lines and exemplars; undefined outside a span or while off. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  if (!tracer) return undefined;
  const span = trace.getSpan(context.active());
  return span ? spanIds(span) : undefined;
}

export function spanIds(span: Span): { trace_id: string; span_id: string } | undefined {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return traceFlags & 1 ? { trace_id: traceId, span_id: spanId } : undefined;
}

/** The context an incoming request's headers carry (W3C traceparent), for its SERVER span to continue. */
export function contextFromHeaders(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** The span context in headers (a caller's, or one stored with work), as a link from a new trace, or none. */
export function linkFromHeaders(headers: Record<string, string | string[] | undefined>, kind: "caller" | "caused_by" = "caller"): Link[] {
  const linked = trace.getSpan(contextFromHeaders(headers));
  return linked ? [{ context: linked.spanContext(), attributes: { "link.kind": kind } }] : [];
}

/** The headers a provider call carries on the wire: the active span's traceparent (and tracestate). */
export function traceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  if (tracer) propagation.inject(context.active(), headers);
  return headers;
}

/** The active span's traceparent, stored with work that outlives the request (outbox events, import jobs). */
export function currentTraceparent(): string | null {
  return traceHeaders().traceparent ?? null;
}

/** A link to the request that stored work (its traceparent), for the span that does the work later. */
export function linkTo(traceparent: string | null): Link[] {
  return tracer && traceparent ? linkFromHeaders({ traceparent }, "caused_by") : [];
}
