import { formatMoney, type Cents } from "../lib/money.js";
import { id as idSchema, parseInput } from "../lib/validation.js";

/** "$1,234.50" from cents, for display only: clients compute with the *Cents fields. */
export function formatUsd(cents: number): string {
  const [whole, fraction] = formatMoney(cents as Cents).split(".");
  return `$${Number(whole).toLocaleString("en-US")}.${fraction}`;
}

/** The `idempotencyKey` argument of checkout and processPayment (docs/idempotency.md). */
export const IDEMPOTENCY_KEY =
  "Names this operation so a retry never charges twice, as REST's Idempotency-Key does: 1-255 printable ASCII characters (a UUID, say), scoped to the caller and the order's user. The same key and input within its lifetime (24 hours by default) replays the first answer (replayed: true, or the same error); other input is IDEMPOTENCY_KEY_REUSED, a request still running IDEMPOTENCY_KEY_IN_USE, an empty key IDEMPOTENCY_KEY_REQUIRED.";

/** GraphQL ID arguments carry the raw database id; anything else is VALIDATION_FAILED. */
export function parseId(value: string | number, field = "id"): number {
  return parseInput(idSchema, value, field);
}

/** GraphQL sends omitted and explicit-null optional fields alike; the services' strict validators want them absent. */
export function dropNulls<T extends object>(input: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined));
}
