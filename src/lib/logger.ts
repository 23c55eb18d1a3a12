import { pino, type Logger } from "pino";

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

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: "shop-gateway" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination as pino.DestinationStream | undefined,
  );
}
