import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../src/db/migrate.js";
import { postgresStatement } from "../src/db/pg-statements.js";
import { sqliteFilePath } from "../src/db/index.js";
import { updatedAtColumn, type Model } from "../src/db/rows.js";
import * as enums from "../src/generated/sqlite/enums.js";
import { freshDatabase, usingPostgres } from "./helpers/server.js";

/**
 * Every hand-written statement (services/**\/*sql.ts: `statements` and
 * `samples()`) is prepared against a freshly migrated database of the engine
 * this pass runs on (SQLite, then PostgreSQL in CI's second pass): a schema
 * change that breaks one fails here, not in production.
 */
const SERVICES = join(import.meta.dirname, "../src/services");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

const sqlModules = files(SERVICES).filter((f) => /(^|[/-])sql\.ts$/.test(f));

async function allStatements(): Promise<{ module: string; name: string; text: string }[]> {
  const found = [];
  for (const file of sqlModules) {
    const module = (await import(file)) as { statements?: Record<string, string>; samples?: () => string[] };
    const name = relative(SERVICES, file);
    for (const [key, text] of Object.entries(module.statements ?? {})) found.push({ module: name, name: key, text });
    for (const [i, text] of (module.samples?.() ?? []).entries()) found.push({ module: name, name: `sample ${i + 1}`, text });
  }
  return found;
}

let statements: Awaited<ReturnType<typeof allStatements>>;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let prepare: (text: string) => Promise<void>;
let close: () => Promise<void>;

beforeAll(async () => {
  statements = await allStatements();
  database = await freshDatabase();
  await migrate(database.url);
  if (usingPostgres) {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    prepare = async (text) => {
      await client.query(`PREPARE checked AS ${postgresStatement(text).text}`);
      await client.query("DEALLOCATE checked");
    };
    close = () => client.end();
  } else {
    const conn = new Database(sqliteFilePath(database.url));
    prepare = async (text) => void conn.prepare(text);
    close = async () => void conn.close();
  }
});
afterAll(async () => {
  await close?.();
  await database?.drop();
});

describe(`hand-written SQL against the migrated schema (${usingPostgres ? "PostgreSQL" : "SQLite"})`, () => {
  it("finds the statement modules", () => {
    expect(sqlModules.length).toBeGreaterThanOrEqual(10);
    expect(statements.length).toBeGreaterThanOrEqual(50);
  });

  it("prepares every statement", async () => {
    const failures: string[] = [];
    for (const s of statements) {
      try {
        await prepare(s.text);
      } catch (error) {
        failures.push(`${s.module} ${s.name}: ${(error as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("writes no enum value as a literal: statuses travel as parameters from the generated enums", () => {
    const values = Object.values(enums).flatMap((e) => Object.values(e as Record<string, string>));
    const literals = statements.filter((s) => values.some((v) => s.text.includes(`'${v}'`)));
    expect(literals.map((s) => `${s.module} ${s.name}`)).toEqual([]);
  });

  it("sets updatedAt in every UPDATE of a model that has one, as Prisma would", () => {
    const missing = statements.filter((s) => {
      const table = /UPDATE "(\w+)" SET/.exec(s.text)?.[1] as Model | undefined;
      const column = table && updatedAtColumn(table);
      return column !== undefined && !s.text.includes(`"${column}" = `);
    });
    expect(missing.map((s) => `${s.module} ${s.name}`)).toEqual([]);
  });
});

describe("one way to the database per service file", () => {
  const sources = files(SERVICES).filter((f) => f.endsWith(".ts"));
  const SQL_TEXT = /[`"'](\s*)(SELECT |INSERT INTO |UPDATE "|DELETE FROM )/;
  const PRISMA_CALL = /\bdb\(\)\./;

  it("keeps SQL text in the sql modules only", () => {
    const outside = sources.filter((f) => !sqlModules.includes(f) && SQL_TEXT.test(readFileSync(f, "utf8")));
    expect(outside.map((f) => relative(SERVICES, f))).toEqual([]);
  });

  it("has no file that both calls Prisma and holds SQL", () => {
    const mixed = sources.filter((f) => {
      const text = readFileSync(f, "utf8");
      return PRISMA_CALL.test(text) && SQL_TEXT.test(text);
    });
    expect(mixed.map((f) => relative(SERVICES, f))).toEqual([]);
  });
});
