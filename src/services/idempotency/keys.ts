import { createHash } from "node:crypto";
import { sqlTransaction, type Sql } from "../../db/sql.js";
import { isUniqueViolation } from "../../db/errors.js";
import { DomainError, TransientError, ValidationError, type ErrorCode } from "../../errors.js";
import { businessMetrics } from "../../lib/metrics.js";
import { annotateRequest } from "../../lib/request-context.js";
import { settings } from "../common/index.js";
import { completeKey, findKey, insertKey, purgeKeys, restartKey, saveRecoveryPoint, takeOverKey, unlockKey, type HeldKey } from "./sql.js";

export type { HeldKey } from "./sql.js";

/**
 * Stripe-style idempotency keys (docs/idempotency.md). A key is unique per
 * (scope, operation, key) by a database constraint; its row moves
 * IN_PROGRESS -> COMPLETED and stores the outcome, which every retry replays.
 */
export interface IdempotentRequest {
  scope: string;
  operation: string;
  key: string;
  fingerprint: string;
}

export type Outcome<T> = { ok: true; status: number; value: T } | { ok: false; status: number; error: DomainError };

export interface IdempotentResult<T> {
  replayed: boolean;
  outcome: Outcome<T>;
}

export type Claim =
  | { kind: "new"; key: HeldKey; attempt: string }
  | { kind: "resume"; key: HeldKey; attempt: string; recoveryPoint: string | null; resourceId: number | null }
  | { kind: "replay"; status: number; body: string };

const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

export function isValidIdempotencyKey(key: string): boolean {
  return KEY_PATTERN.test(key) && key.trim().length > 0;
}

export function requireIdempotencyKey(key: string | null | undefined): string {
  if (key === undefined || key === null || key === "") {
    throw new DomainError(
      "IDEMPOTENCY_KEY_REQUIRED",
      "This request needs an Idempotency-Key header (1-255 printable characters, e.g. a UUID) so a retry can never charge twice",
    );
  }
  if (!isValidIdempotencyKey(key)) throw ValidationError.field("idempotencyKey", "must be 1-255 printable ASCII characters");
  return key;
}

/** Canonical JSON (sorted keys) hashed: the same logical input through either door hashes the same. */
export function fingerprint(input: unknown): string {
  return createHash("sha256").update(canonicalJson(input)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The key an external provider (card gateway) sees for one attempt of this
 * request: stable for every retry of that attempt, unguessable from outside,
 * and new when the client's key is used again after it expired (a new
 * attempt, `Claim.attempt`): the gateway then never replays an old charge.
 */
export function gatewayKeyFor(request: Pick<IdempotentRequest, "scope" | "operation" | "key">, attempt: string): string {
  const digest = createHash("sha256").update(`${request.scope}\u0000${request.key}\u0000${attempt}`).digest("hex").slice(0, 32);
  return `${request.operation}_${digest}`;
}

export function keyInUse(): DomainError {
  return new TransientError("IDEMPOTENCY_KEY_IN_USE", "A request with this Idempotency-Key is still being processed; retry after a moment", 1);
}

/** Claims the key inside the caller's transaction, so the claim commits (or vanishes) together with the work it guards. */
export async function claimIdempotencyKey(sql: Sql, request: IdempotentRequest, now = new Date()): Promise<Claim> {
  annotateRequest({ idempotencyKey: request.key });
  const count = (result: string) => businessMetrics.idempotency.inc({ operation: request.operation, result });
  try {
    const claim = await claimKey(sql, request, now);
    count(claim.kind === "new" ? "new" : claim.kind === "replay" ? "replayed" : "resumed");
    annotateRequest({ replayed: claim.kind === "replay" });
    return claim;
  } catch (error) {
    if (error instanceof DomainError) count(error.code === "IDEMPOTENCY_KEY_REUSED" ? "mismatch" : "conflict");
    throw error;
  }
}

async function claimKey(sql: Sql, request: IdempotentRequest, now: Date): Promise<Claim> {
  const { idempotencyKeyTtlMs, idempotencyLockTimeoutMs } = settings();
  const lockedUntil = new Date(now.getTime() + idempotencyLockTimeoutMs);
  const expiresAt = new Date(now.getTime() + idempotencyKeyTtlMs);
  const existing = await findKey(sql, request);
  if (!existing) {
    try {
      const id = await insertKey(sql, request, request.fingerprint, lockedUntil, expiresAt, now);
      return { kind: "new", key: { id, lockedUntil }, attempt: attemptOf(id, expiresAt) };
    } catch (error) {
      if (isUniqueViolation(error)) throw keyInUse();
      throw error;
    }
  }
  if (existing.expiresAt <= now) {
    // Past its lifetime the key names nothing any more: it starts over.
    await restartKey(sql, existing.id, request.fingerprint, lockedUntil, expiresAt, now);
    return { kind: "new", key: { id: existing.id, lockedUntil }, attempt: attemptOf(existing.id, expiresAt) };
  }
  if (existing.fingerprint !== request.fingerprint) {
    throw new DomainError("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was already used with a different request; use a new key for a new request");
  }
  if (existing.status === "COMPLETED") return { kind: "replay", status: existing.responseStatus ?? 200, body: existing.responseBody ?? "null" };
  if (existing.lockedUntil && existing.lockedUntil > now) throw keyInUse();
  // The previous attempt crashed or gave up: take it over, at most one taker (the lock we read must still be there).
  if (!(await takeOverKey(sql, existing.id, existing.lockedUntil, lockedUntil, now))) throw keyInUse();
  return { kind: "resume", key: { id: existing.id, lockedUntil }, attempt: attemptOf(existing.id, existing.expiresAt), recoveryPoint: existing.recoveryPoint, resourceId: existing.resourceId };
}

/** One attempt of a key: its row and the lifetime it was (re)started with, which a restart after expiry changes. */
export const attemptOf = (id: number, expiresAt: Date) => `${id}.${expiresAt.getTime()}`;

/** Stores the outcome every retry will replay and ends the key's lock. */
export async function completeIdempotencyKey<T>(sql: Sql, key: HeldKey, outcome: Outcome<T>): Promise<void> {
  fenced(await completeKey(sql, key, outcome.status, serialize(outcome)));
}

export async function saveKeyRecoveryPoint(sql: Sql, key: HeldKey, point: string, resourceId: number | null): Promise<void> {
  fenced(await saveRecoveryPoint(sql, key, point, resourceId));
}

export async function unlockIdempotencyKey(sql: Sql, key: HeldKey, point: { name: string; resourceId: number | null } | null): Promise<void> {
  fenced(await unlockKey(sql, key, point));
}

/** A write of a key this attempt no longer holds: a retry took it over; roll back whatever this attempt was about to commit. */
function fenced(held: boolean): void {
  if (!held) throw new TransientError("IDEMPOTENCY_KEY_IN_USE", "A retry of this request took it over; its answer is the one that counts", 1);
}

export function replayOutcome<T>(claim: Extract<Claim, { kind: "replay" }>): Outcome<T> {
  const stored = JSON.parse(claim.body) as { ok: true; value: T } | { ok: false; code: ErrorCode; message: string; details?: Record<string, unknown> };
  if (stored.ok) return { ok: true, status: claim.status, value: stored.value };
  return { ok: false, status: claim.status, error: new DomainError(stored.code, stored.message, stored.details) };
}

function serialize<T>(outcome: Outcome<T>): string {
  if (outcome.ok) return JSON.stringify({ ok: true, value: outcome.value });
  const { code, message, details } = outcome.error;
  return JSON.stringify({ ok: false, code, message, details });
}

/** Deterministic failures are stored and replayed; transient ones (busy, unavailable, unknown) are not. */
export function isDeterministic(error: unknown): error is DomainError {
  return error instanceof DomainError && !(error instanceof TransientError);
}

export function failure(error: DomainError): Outcome<never> {
  return { ok: false, status: error.status, error };
}

export function purgeExpiredIdempotencyKeys(now = new Date()): Promise<number> {
  return sqlTransaction((sql) => purgeKeys(sql, now));
}
