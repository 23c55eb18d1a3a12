import { createHash } from "node:crypto";
import { db } from "../db/index.js";
import { sqlTransaction, toDate, type Sql } from "../db/sql.js";
import { isUniqueViolation } from "../db/errors.js";
import { DomainError, TransientError, ValidationError, type ErrorCode } from "../errors.js";
import { businessMetrics } from "../lib/metrics.js";
import { annotateRequest } from "../lib/request-context.js";
import { settings } from "./settings.js";

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

export type Outcome<T> =
  | { ok: true; status: number; value: T }
  | { ok: false; status: number; error: DomainError };

export interface IdempotentResult<T> {
  replayed: boolean;
  outcome: Outcome<T>;
}

export type Claim =
  | { kind: "new"; id: number }
  | { kind: "resume"; id: number; recoveryPoint: string | null; resourceId: number | null }
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
  if (!isValidIdempotencyKey(key)) {
    throw ValidationError.field("idempotencyKey", "must be 1-255 printable ASCII characters");
  }
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
 * The key an external provider (card gateway) sees for this request: stable for
 * every retry of it, and unguessable from outside.
 */
export function gatewayKeyFor(request: Pick<IdempotentRequest, "scope" | "operation" | "key">): string {
  const digest = createHash("sha256").update(`${request.scope}\u0000${request.key}`).digest("hex").slice(0, 32);
  return `${request.operation}_${digest}`;
}

export function keyInUse(): DomainError {
  return new TransientError(
    "IDEMPOTENCY_KEY_IN_USE",
    "A request with this Idempotency-Key is still being processed; retry after a moment",
    1,
  );
}

/**
 * Claims the key inside the caller's transaction, so the claim commits (or
 * vanishes) together with the work it guards.
 */
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

interface KeyRow {
  id: number;
  fingerprint: string;
  status: "IN_PROGRESS" | "COMPLETED";
  lockedUntil: unknown;
  expiresAt: unknown;
  recoveryPoint: string | null;
  resourceId: number | null;
  responseStatus: number | null;
  responseBody: string | null;
}

const FIND_KEY = `SELECT "id", "fingerprint", "status", "lockedUntil", "expiresAt", "recoveryPoint", "resourceId", "responseStatus", "responseBody"
  FROM "IdempotencyKey" WHERE "scope" = ? AND "operation" = ? AND "key" = ?`;
const INSERT_KEY = `INSERT INTO "IdempotencyKey" ("scope", "operation", "key", "fingerprint", "status", "lockedUntil", "expiresAt", "createdAt", "updatedAt")
  VALUES (?, ?, ?, ?, 'IN_PROGRESS', ?, ?, ?, ?) RETURNING "id"`;
const RESTART_KEY = `UPDATE "IdempotencyKey" SET "fingerprint" = ?, "status" = 'IN_PROGRESS', "lockedUntil" = ?, "expiresAt" = ?,
  "recoveryPoint" = NULL, "resourceId" = NULL, "responseStatus" = NULL, "responseBody" = NULL, "updatedAt" = ? WHERE "id" = ?`;
const TAKE_OVER = `UPDATE "IdempotencyKey" SET "lockedUntil" = ?, "updatedAt" = ? WHERE "id" = ? AND "status" = 'IN_PROGRESS'`;

async function claimKey(sql: Sql, request: IdempotentRequest, now: Date): Promise<Claim> {
  const { idempotencyKeyTtlMs, idempotencyLockTimeoutMs } = settings();
  const lockedUntil = new Date(now.getTime() + idempotencyLockTimeoutMs);
  const expiresAt = new Date(now.getTime() + idempotencyKeyTtlMs);
  const existing = await sql.get<KeyRow>(FIND_KEY, [request.scope, request.operation, request.key]);
  if (!existing) {
    try {
      const created = await sql.get<{ id: number }>(INSERT_KEY, [
        request.scope, request.operation, request.key, request.fingerprint, lockedUntil, expiresAt, now, now,
      ]);
      return { kind: "new", id: created!.id };
    } catch (error) {
      if (isUniqueViolation(error)) throw keyInUse();
      throw error;
    }
  }
  if (toDate(existing.expiresAt) <= now) {
    // Past its lifetime the key names nothing any more: it starts over.
    await sql.run(RESTART_KEY, [request.fingerprint, lockedUntil, expiresAt, now, existing.id]);
    return { kind: "new", id: existing.id };
  }
  if (existing.fingerprint !== request.fingerprint) {
    throw new DomainError(
      "IDEMPOTENCY_KEY_REUSED",
      "This Idempotency-Key was already used with a different request; use a new key for a new request",
    );
  }
  if (existing.status === "COMPLETED") {
    return { kind: "replay", status: existing.responseStatus ?? 200, body: existing.responseBody ?? "null" };
  }
  const heldUntil = toDate(existing.lockedUntil);
  if (heldUntil && heldUntil > now) throw keyInUse();
  // The previous attempt crashed or gave up: take it over, at most one taker
  // (the lock we read must still be there).
  const taken = heldUntil
    ? await sql.run(`${TAKE_OVER} AND "lockedUntil" = ?`, [lockedUntil, now, existing.id, heldUntil])
    : await sql.run(`${TAKE_OVER} AND "lockedUntil" IS NULL`, [lockedUntil, now, existing.id]);
  if (taken !== 1) throw keyInUse();
  return { kind: "resume", id: existing.id, recoveryPoint: existing.recoveryPoint, resourceId: existing.resourceId };
}

export async function saveRecoveryPoint(sql: Sql, id: number, recoveryPoint: string, resourceId: number): Promise<void> {
  await sql.run(`UPDATE "IdempotencyKey" SET "recoveryPoint" = ?, "resourceId" = ?, "updatedAt" = ? WHERE "id" = ?`, [
    recoveryPoint, resourceId, new Date(), id,
  ]);
}

/** Stores the outcome every retry will replay and ends the key's lock. */
export async function completeIdempotencyKey<T>(sql: Sql, id: number, outcome: Outcome<T>): Promise<void> {
  await sql.run(
    `UPDATE "IdempotencyKey" SET "status" = 'COMPLETED', "lockedUntil" = NULL, "responseStatus" = ?, "responseBody" = ?, "updatedAt" = ?
     WHERE "id" = ?`,
    [outcome.status, serialize(outcome), new Date(), id],
  );
}

/** After a transient failure: the key stays IN_PROGRESS with its recovery point, retryable at once. */
export async function unlockIdempotencyKey(id: number, now = new Date()): Promise<void> {
  await db().idempotencyKey.updateMany({ where: { id, status: "IN_PROGRESS" }, data: { lockedUntil: now } });
}

export function replayOutcome<T>(claim: Extract<Claim, { kind: "replay" }>): Outcome<T> {
  const stored = JSON.parse(claim.body) as
    | { ok: true; value: T }
    | { ok: false; code: ErrorCode; message: string; details?: Record<string, unknown> };
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

export async function purgeExpiredIdempotencyKeys(now = new Date()): Promise<number> {
  const { count } = await db().idempotencyKey.deleteMany({ where: { expiresAt: { lt: now } } });
  return count;
}

export type Started<T, S> = { outcome: Outcome<T> } | { state: S };
export type Begun<T, S> = { kind: "done"; result: IdempotentResult<T> } | { kind: "continue"; keyId: number; state: S };

/**
 * Step 1 of an idempotent operation, in one driver transaction: claim the key (or
 * replay its stored outcome), then run `start` inside a savepoint. A
 * deterministic failure undoes start's writes and is stored as the outcome, in
 * the same transaction; so is an outcome start returns. Otherwise the caller
 * continues outside the transaction with start's state (its network calls).
 */
export function beginIdempotent<T, S>(
  request: IdempotentRequest,
  start: (sql: Sql, claim: Exclude<Claim, { kind: "replay" }>) => Promise<Started<T, S>>,
): Promise<Begun<T, S>> {
  return sqlTransaction(async (sql): Promise<Begun<T, S>> => {
    const claim = await claimIdempotencyKey(sql, request);
    if (claim.kind === "replay") return { kind: "done", result: { replayed: true, outcome: replayOutcome<T>(claim) } };
    let started: Started<T, S>;
    try {
      started = await sql.savepoint(() => start(sql, claim));
    } catch (error) {
      if (!isDeterministic(error)) throw error;
      started = { outcome: failure(error) };
    }
    if ("state" in started) return { kind: "continue", keyId: claim.id, state: started.state };
    await completeIdempotencyKey(sql, claim.id, started.outcome);
    return { kind: "done", result: { replayed: false, outcome: started.outcome } };
  });
}

/** The last step: records the result and stores the outcome in one transaction. */
export function finishIdempotent<T>(keyId: number, record: (sql: Sql) => Promise<Outcome<T>>): Promise<IdempotentResult<T>> {
  return sqlTransaction(async (sql) => {
    const outcome = await record(sql);
    await completeIdempotencyKey(sql, keyId, outcome);
    return { replayed: false, outcome };
  });
}

/** The resource a resumed claim had created before its owner stopped. */
export function recoveredResource(claim: Exclude<Claim, { kind: "replay" }>): number {
  if (claim.kind !== "resume" || claim.resourceId === null) throw new Error(`idempotency key ${claim.id} has no recovery point`);
  return claim.resourceId;
}
