import { setTimeout as sleep } from "node:timers/promises";
import { isInTransaction } from "../../db/index.js";
import { contextFromHeaders, SpanKind, traceHeaders, tracingEnabled, withSpan } from "../../lib/tracing.js";

export class NetworkCallInTransactionError extends Error {
  constructor(client: string) {
    super(
      `${client} called while a database transaction is open: network calls must run outside transactions ` +
        "(docs/postmortems/2026-payments-pool-exhaustion.md)",
    );
    this.name = "NetworkCallInTransactionError";
  }
}

/**
 * Every external client calls this first. Holding a transaction (on SQLite, the
 * only write lock) across a network call is how one slow dependency hangs the
 * whole API, so it fails loudly in tests instead of quietly in production.
 */
export function assertOutsideTransaction(client: string): void {
  if (isInTransaction()) throw new NetworkCallInTransactionError(client);
}

/**
 * Simulated network latency that the client's timeout cuts short. A simulated
 * service set to answer at once (benchmarks) costs no timer at all.
 */
export function simulatedLatency(ms: number, timeoutMs: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return sleep(ms, undefined, { signal: AbortSignal.timeout(timeoutMs) });
}

/**
 * One call to a provider, as over the network: a CLIENT span, whose W3C
 * traceparent goes in the request's headers; the simulated provider continues
 * its trace from those headers alone (its SERVER span, and its own SQL under
 * it), as a real one that traces does. Refused inside a transaction.
 */
export async function callProvider<T>(provider: string, operation: string, handle: () => Promise<T>): Promise<T> {
  assertOutsideTransaction(provider);
  if (!tracingEnabled()) return handle();
  const attributes = { "peer.service": provider, "rpc.method": operation };
  return withSpan(`${provider} ${operation}`, { kind: SpanKind.CLIENT, attributes }, () => {
    const headers = traceHeaders();
    return withSpan(`${provider} ${operation} (simulated provider)`, { kind: SpanKind.SERVER, attributes, parent: contextFromHeaders(headers) }, handle);
  });
}
