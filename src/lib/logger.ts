import { pino, type Logger } from "pino";
import { activeTraceIds } from "./tracing.js";

export type { Logger };

/** Paths whose values never reach a log line: card data and e-mail addresses. */
export const REDACTED_PATHS = [
  "cardLast4",
  "*.cardLast4",
  "*.*.cardLast4",
  "cardNumber",
  "*.cardNumber",
  "email",
  "*.email",
  "*.*.email",
  "req.headers.authorization",
  "req.headers.cookie",
];

const NO_FIELDS = Object.freeze({});

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: "shop-gateway" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      formatters: { level: (label) => ({ level: label }) },
      // trace_id and span_id of the active span, while tracing is on (docs/observability.md).
      mixin: () => activeTraceIds() ?? NO_FIELDS,
      mixinMergeStrategy: (line, trace) => (trace === NO_FIELDS ? line : Object.assign(trace, line)),
    },
    destination as pino.DestinationStream | undefined,
  );
}
