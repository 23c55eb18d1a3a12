import type { IdempotentResult } from "../services/idempotency/index.js";
import { DomainError } from "../errors.js";

/** GraphQL's side of an idempotent result: the value, or the (possibly replayed) error thrown with its code. */
export function unwrapOutcome<T>(result: IdempotentResult<T>): T & { replayed: boolean } {
  const { outcome, replayed } = result;
  if (outcome.ok) return { ...outcome.value, replayed };
  if (!replayed) throw outcome.error;
  const { code, message, details } = outcome.error;
  throw new DomainError(code, message, { ...details, replayed: true });
}
