import { createHash, randomUUID } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { privateFile } from "../lib/private-files.js";
import { databaseProvider, sqliteFilePath } from "./index.js";

/**
 * Applies the committed Prisma migrations at start, without the Prisma CLI (its
 * engine is large and slow to boot). It keeps Prisma's own bookkeeping table and
 * checksums, so `prisma migrate status` and `migrate deploy` agree with it.
 */
const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function migrationsDir(provider: "sqlite" | "postgresql"): string {
  const folder = provider === "sqlite" ? "sqlite" : "postgres";
  return fileURLToPath(new URL(`../../prisma/${folder}/migrations/`, import.meta.url));
}

export function readMigrations(dir: string): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(`${dir}/${entry.name}/migration.sql`))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(`${dir}/${name}/migration.sql`, "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

export class MigrationError extends Error {}

/** Applies pending migrations to an SQLite file; returns the names applied. */
export function migrateSqlite(url: string, dir = migrationsDir("sqlite")): string[] {
  const file = sqliteFilePath(url);
  privateFile(file);
  const conn = new Database(file);
  try {
    conn.pragma("journal_mode = WAL");
    conn.exec(MIGRATIONS_TABLE);
    const rows = conn
      .prepare(`SELECT migration_name, finished_at, rolled_back_at FROM "_prisma_migrations"`)
      .all() as { migration_name: string; finished_at: string | null; rolled_back_at: string | null }[];
    const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
    if (failed) {
      throw new MigrationError(
        `migration ${failed.migration_name} failed earlier; resolve it (prisma migrate resolve) before starting`,
      );
    }
    const done = new Set(rows.filter((r) => r.rolled_back_at === null).map((r) => r.migration_name));
    const pending = readMigrations(dir).filter((m) => !done.has(m.name));
    const record = conn.prepare(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       VALUES (?, ?, ?, ?, ?, 1)`,
    );
    // A table rebuild (Prisma's RedefineTables) drops the old table, and with foreign
    // keys on that DROP deletes the rows of ON DELETE CASCADE children (or fails on
    // RESTRICT ones). The migration's own `PRAGMA foreign_keys=OFF` is a no-op inside
    // our transaction, so enforcement is switched off here, outside it, as SQLite's
    // ALTER TABLE procedure prescribes; foreign_key_check then refuses a migration
    // that would commit dangling references.
    const foreignKeys = conn.pragma("foreign_keys", { simple: true }) as number;
    conn.pragma("foreign_keys = OFF");
    try {
      for (const migration of pending) {
        const startedAt = Date.now();
        conn.transaction(() => {
          conn.exec(migration.sql);
          const violations = conn.pragma("foreign_key_check") as { table: string; rowid: number; parent: string }[];
          if (violations.length > 0) {
            const first = violations[0]!;
            throw new MigrationError(
              `migration ${migration.name} leaves ${violations.length} foreign key violation(s), first: ${first.table} rowid ${first.rowid} -> ${first.parent}`,
            );
          }
          record.run(randomUUID(), migration.checksum, Date.now(), migration.name, startedAt);
        })();
      }
    } finally {
      conn.pragma(`foreign_keys = ${foreignKeys ? "ON" : "OFF"}`);
    }
    return pending.map((m) => m.name);
  } finally {
    conn.close();
  }
}

const POSTGRES_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** Prisma's own advisory-lock id for migrations: instances starting together migrate one at a time. */
const MIGRATION_LOCK = 72707369;

/** Applies pending migrations to PostgreSQL, each in its own transaction, under an advisory lock. */
export async function migratePostgres(url: string, dir = migrationsDir("postgresql")): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await client.query(POSTGRES_MIGRATIONS_TABLE);
    const { rows } = await client.query<{ migration_name: string; finished_at: Date | null; rolled_back_at: Date | null }>(
      `SELECT migration_name, finished_at, rolled_back_at FROM "_prisma_migrations"`,
    );
    const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
    if (failed) throw new MigrationError(`migration ${failed.migration_name} failed earlier; resolve it (prisma migrate resolve) before starting`);
    const done = new Set(rows.filter((r) => r.rolled_back_at === null).map((r) => r.migration_name));
    const pending = readMigrations(dir).filter((m) => !done.has(m.name));
    for (const migration of pending) {
      const startedAt = new Date();
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ($1, $2, now(), $3, $4, 1)`,
          [randomUUID(), migration.checksum, migration.name, startedAt],
        );
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
    }
    return pending.map((m) => m.name);
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => {});
    await client.end();
  }
}

/** Applies the committed migrations of the provider DATABASE_URL names. */
export async function migrate(url: string): Promise<string[]> {
  return databaseProvider(url) === "sqlite" ? migrateSqlite(url) : migratePostgres(url);
}
