import { columns } from "../../db/rows.js";
import type { Sql } from "../../db/sql.js";
import { IdempotencyStatus } from "../../generated/sqlite/enums.js";

export const KEY = columns("IdempotencyKey", [
  "id", "fingerprint", "status", "lockedUntil", "expiresAt", "recoveryPoint", "resourceId", "responseStatus", "responseBody",
]);
export type KeyRow = ReturnType<typeof KEY.decode>;

const { IN_PROGRESS, COMPLETED } = IdempotencyStatus;

export const statements = {
  find: `SELECT ${KEY.list} FROM "IdempotencyKey" WHERE "scope" = ? AND "operation" = ? AND "key" = ?`,
  insert: `INSERT INTO "IdempotencyKey" ("scope", "operation", "key", "fingerprint", "status", "lockedUntil", "expiresAt", "createdAt", "updatedAt")
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING "id"`,
  restart: `UPDATE "IdempotencyKey" SET "fingerprint" = ?, "status" = ?, "lockedUntil" = ?, "expiresAt" = ?,
    "recoveryPoint" = NULL, "resourceId" = NULL, "responseStatus" = NULL, "responseBody" = NULL, "updatedAt" = ? WHERE "id" = ?`,
  takeOver: `UPDATE "IdempotencyKey" SET "lockedUntil" = ?, "updatedAt" = ? WHERE "id" = ? AND "status" = ? AND "lockedUntil" = ?`,
  takeOverUnlocked: `UPDATE "IdempotencyKey" SET "lockedUntil" = ?, "updatedAt" = ? WHERE "id" = ? AND "status" = ? AND "lockedUntil" IS NULL`,
  saveRecoveryPoint: `UPDATE "IdempotencyKey" SET "recoveryPoint" = ?, "resourceId" = ?, "updatedAt" = ?
    WHERE "id" = ? AND "status" = ? AND "lockedUntil" = ?`,
  complete: `UPDATE "IdempotencyKey" SET "status" = ?, "lockedUntil" = NULL, "responseStatus" = ?, "responseBody" = ?, "updatedAt" = ?
    WHERE "id" = ? AND "status" = ? AND "lockedUntil" = ?`,
  unlock: `UPDATE "IdempotencyKey" SET "lockedUntil" = ?, "recoveryPoint" = ?, "resourceId" = ?, "updatedAt" = ?
    WHERE "id" = ? AND "status" = ? AND "lockedUntil" = ?`,
  purge: `DELETE FROM "IdempotencyKey" WHERE "expiresAt" < ?`,
};

export interface KeyIdentity {
  scope: string;
  operation: string;
  key: string;
}

export async function findKey(sql: Sql, identity: KeyIdentity): Promise<KeyRow | undefined> {
  const row = await sql.get(statements.find, [identity.scope, identity.operation, identity.key]);
  return row ? KEY.decode(row) : undefined;
}

export async function insertKey(sql: Sql, identity: KeyIdentity, fingerprint: string, lockedUntil: Date, expiresAt: Date, now: Date): Promise<number> {
  const row = await sql.get<{ id: number }>(statements.insert, [
    identity.scope, identity.operation, identity.key, fingerprint, IN_PROGRESS, lockedUntil, expiresAt, now, now,
  ]);
  return row!.id;
}

export async function restartKey(sql: Sql, id: number, fingerprint: string, lockedUntil: Date, expiresAt: Date, now: Date): Promise<void> {
  await sql.run(statements.restart, [fingerprint, IN_PROGRESS, lockedUntil, expiresAt, now, id]);
}

/** Takes over an IN_PROGRESS key whose lock is the one read (at most one taker): true when this call did. */
export async function takeOverKey(sql: Sql, id: number, heldUntil: Date | null, lockedUntil: Date, now: Date): Promise<boolean> {
  const changed = heldUntil
    ? await sql.run(statements.takeOver, [lockedUntil, now, id, IN_PROGRESS, heldUntil])
    : await sql.run(statements.takeOverUnlocked, [lockedUntil, now, id, IN_PROGRESS]);
  return changed === 1;
}

/**
 * The writes of an attempt that holds the key: each is fenced by the lock the
 * attempt took (`held`), so an attempt that stalled past its lock while a
 * retry took the key over changes nothing. False when the fence did not hold.
 */
export async function saveRecoveryPoint(sql: Sql, key: HeldKey, point: string, resourceId: number | null, now = new Date()): Promise<boolean> {
  return (await sql.run(statements.saveRecoveryPoint, [point, resourceId, now, key.id, IN_PROGRESS, key.lockedUntil])) === 1;
}

export async function completeKey(sql: Sql, key: HeldKey, status: number, body: string, now = new Date()): Promise<boolean> {
  return (await sql.run(statements.complete, [COMPLETED, status, body, now, key.id, IN_PROGRESS, key.lockedUntil])) === 1;
}

/** Unlocks the key at `point` (the last step whose effect is still in the database), for a retry to resume there. */
export async function unlockKey(sql: Sql, key: HeldKey, point: { name: string; resourceId: number | null } | null, now = new Date()): Promise<boolean> {
  const params = [now, point?.name ?? null, point?.resourceId ?? null, now, key.id, IN_PROGRESS, key.lockedUntil];
  return (await sql.run(statements.unlock, params)) === 1;
}

/** A key an attempt holds: its id and the lock it set when it claimed it. */
export interface HeldKey {
  id: number;
  lockedUntil: Date;
}

export async function purgeKeys(sql: Sql, now: Date): Promise<number> {
  return sql.run(statements.purge, [now]);
}
