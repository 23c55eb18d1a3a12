import { recordingContext, recordSpan, SpanKind, tracingEnabled } from "../lib/tracing.js";
import type { DatabaseProvider } from "./driver.js";

export interface QueryEvent {
  query: string;
  durationMs: number;
}

const listeners = new Set<(event: QueryEvent) => void>();
let system: DatabaseProvider | undefined;

/** Which engine the statements run on, for their spans' db.system (set when the database opens). */
export function setQuerySystem(provider: DatabaseProvider): void {
  system = provider;
}

/** Called by every statement runner once its statement finished: listeners, and its span while tracing is on. */
export function emitQuery(event: QueryEvent): void {
  for (const listener of listeners) listener(event);
  if (tracingEnabled()) statementSpan(event);
}

/** Subscribes to every SQL statement the app runs (ORM or driver); returns the unsubscribe function. */
export function onQuery(listener: (event: QueryEvent) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const MAX_TEXT = 2_048;

/**
 * A CLIENT span for a statement that just ran, under the active span (the
 * transaction, the step, the request): its text has placeholders only, never
 * parameter values.
 */
function statementSpan({ query, durationMs }: QueryEvent): void {
  const end = performance.now();
  // Decided first: under an unsampled request (most, when sampling), a statement costs this check only.
  const parent = recordingContext(true);
  if (!parent) return;
  const { operation, collection } = summary(query);
  recordSpan(
    parent,
    collection ? `${operation} ${collection}` : operation,
    {
      kind: SpanKind.CLIENT,
      startTime: end - durationMs,
      // The name carries the operation and table; every attribute costs each of the many statements.
      attributes: { "db.system": system, "db.query.text": query.length > MAX_TEXT ? `${query.slice(0, MAX_TEXT)}...` : query },
    },
    end,
  );
}

const summaries = new Map<string, { operation: string; collection: string | undefined }>();
const TABLE = /\b(?:FROM|INTO|UPDATE|JOIN)\s+(?:"?\w+"?\.)?"?(\w+)"?/i;

/** `SELECT Product` from the statement's first keyword and first table; remembered per text (the texts are the code's, a bounded set). */
function summary(query: string): { operation: string; collection: string | undefined } {
  let found = summaries.get(query);
  if (!found) {
    const operation = (/^\s*(\w+)/.exec(query)?.[1] ?? "SQL").toUpperCase();
    found = { operation, collection: TABLE.exec(query)?.[1] };
    if (summaries.size < 2_000) summaries.set(query, found);
  }
  return found;
}
