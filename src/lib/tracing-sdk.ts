import { randomUUID } from "node:crypto";
import { context, diag, DiagLogLevel, propagation, trace, type TextMapPropagator } from "@opentelemetry/api";
import type { Config } from "../config.js";
import type { Logger } from "./logger.js";
import { disableTracing, enableTracing } from "./tracing.js";

/** Attribute values past this many characters are cut, unless OTEL_*ATTRIBUTE_VALUE_LENGTH_LIMIT says otherwise (src/config.ts). */
const DEFAULT_VALUE_LENGTH_LIMIT = 4_096;

export interface Tracing {
  /** Exports what is still queued, then stops tracing. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK when the OTEL_* settings ask for traces
 * (docs/observability.md); otherwise loads none of it and returns undefined.
 * Spans go through a batch processor (OTEL_BSP_*) to an OTLP/HTTP exporter
 * (JSON or protobuf) or the console. OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT and
 * _COMPRESSION are read by the exporter itself.
 */
export async function startTracing(config: Config, logger: Logger): Promise<Tracing | undefined> {
  if (config.OTEL_SDK_DISABLED || !config.OTEL_TRACES_EXPORTER || config.OTEL_TRACES_EXPORTER === "none") return undefined;
  const [{ TracerProvider, BatchSpanProcessor }, { AsyncLocalStorageContextManager }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/sdk-trace"),
    import("@opentelemetry/context-async-hooks"),
    import("@opentelemetry/resources"),
  ]);
  const log = logger.child({ component: "tracing" });
  diag.setLogger(
    { error: (message) => log.warn(message), warn: (message) => log.warn(message), info: () => {}, debug: () => {}, verbose: () => {} },
    DiagLogLevel.WARN,
  );
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ ...resourceAttributes(config), "service.name": config.OTEL_SERVICE_NAME }),
    sampler: await sampler(config),
    spanLimits: { attributeValueLengthLimit: config.OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT ?? config.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT ?? DEFAULT_VALUE_LENGTH_LIMIT },
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: await exporter(config),
        scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY,
        exportTimeoutMillis: config.OTEL_BSP_EXPORT_TIMEOUT,
        maxQueueSize: config.OTEL_BSP_MAX_QUEUE_SIZE,
        maxExportBatchSize: config.OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(await propagator(config));
  trace.setGlobalTracerProvider(provider);
  enableTracing();
  log.info({ exporter: config.OTEL_TRACES_EXPORTER, endpoint: withoutCredentials(tracesEndpoint(config)), sampler: config.OTEL_TRACES_SAMPLER }, "tracing on");
  return {
    async shutdown() {
      disableTracing();
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, or the base endpoint with the traces path (the spec's rule). */
export function tracesEndpoint(config: Config): string {
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  return `${(config.OTEL_EXPORTER_OTLP_ENDPOINT ?? "http://localhost:4318").replace(/\/+$/, "")}/v1/traces`;
}

async function exporter(config: Config) {
  if (config.OTEL_TRACES_EXPORTER === "console") return new (await import("@opentelemetry/sdk-trace")).ConsoleSpanExporter();
  const url = tracesEndpoint(config);
  const protocol = config.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? config.OTEL_EXPORTER_OTLP_PROTOCOL;
  return protocol === "http/json" ? new (await import("@opentelemetry/exporter-trace-otlp-http")).OTLPTraceExporter({ url }) : protobufExporter(url);
}

/**
 * OTLP/HTTP with protobuf bodies: the OpenTelemetry exporter's own transport
 * (its retries, timeouts, OTEL_EXPORTER_OTLP_HEADERS and _COMPRESSION, its
 * self-metrics), as @opentelemetry/exporter-trace-otlp-proto builds it, with
 * the request encoded by ./otlp-protobuf.ts.
 */
async function protobufExporter(url: string) {
  const [{ OTLPExporterBase }, { convertLegacyHttpOptions, createOtlpHttpExportDelegate }, { ProtobufTraceSerializer, TraceExporterMetricsHelper }, { serializeSpans }] = await Promise.all([
    import("@opentelemetry/otlp-exporter-base"),
    import("@opentelemetry/otlp-exporter-base/node-http"),
    import("@opentelemetry/otlp-transformer"),
    import("./otlp-protobuf.js"),
  ]);
  const serializer = { serializeRequest: serializeSpans, deserializeResponse: ProtobufTraceSerializer.deserializeResponse };
  const options = convertLegacyHttpOptions({ url }, "TRACES", "v1/traces", { "Content-Type": "application/x-protobuf" });
  return new OTLPExporterBase(createOtlpHttpExportDelegate(options, serializer, "otlp_http_span_exporter", TraceExporterMetricsHelper, undefined));
}

async function sampler(config: Config) {
  const { AlwaysOnSampler, AlwaysOffSampler, ParentBasedSampler, TraceIdRatioBasedSampler } = await import("@opentelemetry/sdk-trace");
  const name = config.OTEL_TRACES_SAMPLER;
  const root = name.endsWith("always_on")
    ? new AlwaysOnSampler()
    : name.endsWith("always_off")
      ? new AlwaysOffSampler()
      : new TraceIdRatioBasedSampler(config.OTEL_TRACES_SAMPLER_ARG ?? 1);
  return name.startsWith("parentbased_") ? new ParentBasedSampler({ root }) : root;
}

async function propagator(config: Config): Promise<TextMapPropagator> {
  const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = await import("@opentelemetry/core");
  const names = config.OTEL_PROPAGATORS.includes("none") ? [] : config.OTEL_PROPAGATORS;
  return new CompositePropagator({
    propagators: names.map((name) => (name === "baggage" ? new W3CBaggagePropagator() : new W3CTraceContextPropagator())),
  });
}

/** OTEL_RESOURCE_ATTRIBUTES (`key=value,…`, values percent-encoded), with this instance's id. */
function resourceAttributes(config: Config): Record<string, string> {
  const attributes: Record<string, string> = { "service.instance.id": randomUUID(), "deployment.environment.name": config.NODE_ENV };
  for (const pair of (config.OTEL_RESOURCE_ATTRIBUTES ?? "").split(",")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    try {
      attributes[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      // A value that is not valid percent-encoding is skipped, as the spec's SDKs do.
    }
  }
  return attributes;
}

/** An endpoint for a log line: a `user:password@` in it stays out. */
function withoutCredentials(endpoint: string): string {
  const url = new URL(endpoint);
  url.username = "";
  url.password = "";
  return url.toString();
}
