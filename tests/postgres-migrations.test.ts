import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { migratePostgres } from "../src/db/migrate.js";
import { freshDatabase } from "./helpers/server.js";

/**
 * PostgreSQL only (the suite's second run): the committed PostgreSQL
 * migrations produce exactly the schema the shared models describe. Compared
 * as catalogs: columns with types, nullability and defaults, indexes, enums.
 */
const run = promisify(execFile);

async function catalog(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const queries = [
      `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS v
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
      `SELECT indexdef AS v FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
      `SELECT t.typname || ':' || e.enumlabel AS v FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid`,
      `SELECT conrelid::regclass || ' ' || pg_get_constraintdef(oid) AS v FROM pg_constraint WHERE connamespace = 'public'::regnamespace`,
    ];
    const rows = [];
    for (const sql of queries) rows.push(...(await client.query<{ v: string }>(sql)).rows.map((r) => r.v));
    return rows.filter((r) => !r.startsWith("_prisma_migrations")).sort();
  } finally {
    await client.end();
  }
}

describe("PostgreSQL migrations", () => {
  it("match the models: no drift between the migrations and the schema", async () => {
    const migrated = await freshDatabase();
    const expected = await freshDatabase();
    try {
      expect(await migratePostgres(migrated.url)).not.toHaveLength(0);
      expect(await migratePostgres(migrated.url)).toHaveLength(0);
      const { stdout: ddl } = await run(
        join("node_modules", ".bin", "prisma"),
        ["migrate", "diff", "--from-empty", "--to-schema-datamodel", "prisma/postgres", "--script"],
        { env: { ...process.env, DATABASE_URL: expected.url, CHECKPOINT_DISABLE: "1" } },
      );
      const client = new pg.Client({ connectionString: expected.url });
      await client.connect();
      await client.query(ddl);
      await client.end();
      expect(await catalog(migrated.url)).toEqual(await catalog(expected.url));
    } finally {
      await migrated.drop();
      await expected.drop();
    }
  });
});
