import { AsyncResource } from "node:async_hooks";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, isInTransaction } from "../src/db/index.js";
import { isUniqueViolation, mapDatabaseError } from "../src/db/errors.js";
import { toDate } from "../src/db/rows.js";
import { sqlTransaction, type Sql } from "../src/db/sql.js";
import { chargeCard } from "../src/services/external/card-gateway.js";
import { NetworkCallInTransactionError } from "../src/services/external/guard.js";
import { startTestServer, TMP_DIR, usingPostgres, type TestServer } from "./helpers/server.js";

/**
 * The driver transactions every write runs in (src/db/sql.ts), on whichever
 * engine the suite runs against: atomic, isolated, time-limited, fail-fast.
 */
let server: TestServer;
const MAX_WAIT_MS = 200;
const TIMEOUT_MS = 400;
beforeAll(async () => {
  server = await startTestServer({
    SEED_ON_START: false,
    DB_TRANSACTION_MAX_WAIT_MS: MAX_WAIT_MS,
    DB_POOL_ACQUIRE_TIMEOUT_MS: MAX_WAIT_MS,
    DB_POOL_SIZE: 2,
    DB_TRANSACTION_TIMEOUT_MS: TIMEOUT_MS,
  });
});
afterAll(() => server.stop());

let n = 0;
const addUser = (sql: Sql, name = "Driver") =>
  sql.get<{ id: number }>(`INSERT INTO "User" ("email", "name", "createdAt", "updatedAt") VALUES (?, ?, ?, ?) RETURNING "id"`, [
    `driver-${++n}-${Date.now()}@example.test`,
    name,
    new Date(),
    new Date(),
  ]);
const userExists = async (id: number) => (await db().user.findUnique({ where: { id } })) !== null;

describe("driver transactions", () => {
  it("commits every write together, or none when the body throws", async () => {
    const committed = await sqlTransaction(async (sql) => [(await addUser(sql))!.id, (await addUser(sql))!.id]);
    for (const id of committed) expect(await userExists(id)).toBe(true);

    let written = 0;
    await expect(
      sqlTransaction(async (sql) => {
        written = (await addUser(sql))!.id;
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    expect(written).toBeGreaterThan(0);
    expect(await userExists(written)).toBe(false);
  });

  it("undoes only a failed savepoint's writes, and the transaction goes on", async () => {
    let inner = 0;
    const outer = await sqlTransaction(async (sql) => {
      const kept = (await addUser(sql))!.id;
      await expect(
        sql.savepoint(async () => {
          inner = (await addUser(sql))!.id;
          throw new Error("inner failure");
        }),
      ).rejects.toThrow("inner failure");
      return kept;
    });
    expect(await userExists(outer)).toBe(true);
    expect(await userExists(inner)).toBe(false);
  });

  it("keeps an ORM write issued while it is open out of it, and that write survives its rollback", async () => {
    // Bound out here: called from inside, it runs in this context, as a concurrent request would.
    const writeOutside = AsyncResource.bind(() => db().user.create({ data: { name: "Outside", email: `outside-${Date.now()}@example.test` } }).then((u) => u));
    let outside: Promise<{ id: number }> | undefined;
    await expect(
      sqlTransaction(async (sql) => {
        await addUser(sql);
        outside = writeOutside();
        await sleep(20);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await userExists((await outside!).id)).toBe(true);
  });

  it("counts as a transaction: network clients refuse to run inside it", async () => {
    const inside = await sqlTransaction(async () => isInTransaction());
    expect(inside).toBe(true);
    expect(isInTransaction()).toBe(false);
    await expect(
      sqlTransaction(() => chargeCard({ idempotencyKey: "inside-a-transaction", amountCents: 100 as never, cardLast4: null })),
    ).rejects.toBeInstanceOf(NetworkCallInTransactionError);
  });

  it("reports unique violations from the driver like the ORM's", async () => {
    const email = `twice-${Date.now()}@example.test`;
    const insert = (sql: Sql) =>
      sql.run(`INSERT INTO "User" ("email", "name", "createdAt", "updatedAt") VALUES (?, 'Twice', ?, ?)`, [email, new Date(), new Date()]);
    await sqlTransaction(insert);
    const error = await sqlTransaction(insert).catch((e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
  });

  it("stores timestamps as the ORM does, so each reads and compares the other's", async () => {
    const at = new Date("2026-03-04T05:06:07.089Z");
    const id = await sqlTransaction(async (sql) => {
      const row = await sql.get<{ id: number }>(
        `INSERT INTO "User" ("email", "name", "createdAt", "updatedAt") VALUES (?, 'Clock', ?, ?) RETURNING "id"`,
        [`clock-${Date.now()}@example.test`, at, at],
      );
      return row!.id;
    });
    expect((await db().user.findUniqueOrThrow({ where: { id } })).createdAt.toISOString()).toBe(at.toISOString());

    const later = await db().user.create({ data: { name: "Later", email: `later-${Date.now()}@example.test`, createdAt: new Date(at.getTime() + 1) } });
    const seen = await sqlTransaction((sql) =>
      sql.all<{ id: number; createdAt: unknown }>(`SELECT "id", "createdAt" FROM "User" WHERE "createdAt" > ? AND "id" IN (?, ?)`, [at, id, later.id]),
    );
    expect(seen.map((r) => r.id)).toEqual([later.id]);
    expect(toDate(seen[0]!.createdAt).getTime()).toBe(at.getTime() + 1);
  });

  it("fails fast with 503 when it cannot get the database in time, and the holder's work is unaffected", async () => {
    // SQLite has one writer; PostgreSQL's pool here has two connections.
    const holders = Array.from({ length: usingPostgres ? 2 : 1 }, () =>
      sqlTransaction(async (sql) => {
        const user = await addUser(sql, "Holder");
        await sleep(MAX_WAIT_MS * 1.5);
        return user!.id;
      }),
    );
    await sleep(20);
    const started = performance.now();
    const error = await sqlTransaction((sql) => addUser(sql, "Waiter")).catch((e: unknown) => e);
    const waited = performance.now() - started;
    expect(mapDatabaseError(error)).toMatchObject({ code: "DATABASE_UNAVAILABLE", status: 503 });
    // It gives up after its 200 ms; waiting without limit is the failure, so the bound is generous.
    expect(waited).toBeLessThan(MAX_WAIT_MS * 25);
    for (const id of await Promise.all(holders)) expect(await userExists(id)).toBe(true);
  });

  it("rolls back a transaction held past its time limit and frees the database", async () => {
    let written = 0;
    const error = await sqlTransaction(async (sql) => {
      written = (await addUser(sql, "Slow"))!.id;
      await sleep(TIMEOUT_MS + 100);
      await addUser(sql, "Too late");
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "DATABASE_UNAVAILABLE", status: 503 });
    expect(await userExists(written)).toBe(false);
    const next = await sqlTransaction((sql) => addUser(sql, "Next"));
    expect(await userExists(next!.id)).toBe(true);
  });
});

describe("database faults a client can retry", () => {
  it("answer 503 for a database that went away or cannot write, and leave other failures unknown", async () => {
    const { default: Database } = await import("better-sqlite3");
    const file = join(TMP_DIR, `readonly-${Date.now()}.db`);
    new Database(file).exec("CREATE TABLE t (x INTEGER)");
    const readonly = new Database(file, { readonly: true });
    const cannotWrite = (() => {
      try {
        readonly.exec("INSERT INTO t VALUES (1)");
      } catch (error) {
        return error;
      }
    })();
    readonly.close();
    expect(cannotWrite).toMatchObject({ code: "SQLITE_READONLY" });
    const full = Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    const shutdown = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    for (const error of [cannotWrite, full, shutdown, refused, new Error("Connection terminated unexpectedly")]) {
      expect(mapDatabaseError(error), String(error)).toMatchObject({ code: "DATABASE_UNAVAILABLE", status: 503 });
    }
    expect(mapDatabaseError(new Error("no such column: y"))).toBeUndefined();
  });
});
