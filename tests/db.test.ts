import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncResource } from "node:async_hooks";
import { db, isInTransaction, OrmInTransactionError, sqlTransaction } from "../src/db/index.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ SEED_ON_START: false });
});
afterAll(() => server.stop());

describe("one way to write: the driver transaction", () => {
  it("never lets a read outside a transaction see its uncommitted writes", async () => {
    const readOutside = AsyncResource.bind(() => db().user.findUnique({ where: { email: "ghost@example.test" } }).then((u) => u));
    let outsideRead: Promise<unknown> | undefined;
    await expect(
      sqlTransaction(async (sql) => {
        await sql.run(`INSERT INTO "User" ("name", "email", "createdAt", "updatedAt") VALUES (?, ?, ?, ?)`, ["Ghost", "ghost@example.test", new Date(), new Date()]);
        outsideRead = readOutside();
        await new Promise((r) => setTimeout(r, 20));
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await outsideRead).toBeNull();
  });

  it("knows, through the async context, whether a transaction is open", async () => {
    expect(isInTransaction()).toBe(false);
    const seen = await sqlTransaction(async () => {
      await new Promise((r) => setTimeout(r, 1));
      return isInTransaction();
    });
    expect(seen).toBe(true);
    expect(isInTransaction()).toBe(false);
  });

  it("refuses at once an ORM call made inside a driver transaction (a programming error, not a 503 after a wait)", async () => {
    await expect(
      sqlTransaction(async (sql) => {
        await sql.run(`INSERT INTO "User" ("name", "email", "createdAt", "updatedAt") VALUES (?, ?, ?, ?)`, ["Mixed", "mixed@example.test", new Date(), new Date()]);
        await db().user.count();
      }),
    ).rejects.toBeInstanceOf(OrmInTransactionError); // not the SQLITE_BUSY a wait for the lock would end in
    expect(await db().user.count({ where: { email: "mixed@example.test" } })).toBe(0);
  });

  it("enforces foreign keys", async () => {
    await expect(
      db().order.create({ data: { userId: 987654, subtotalCents: 1, totalCents: 1 } }),
    ).rejects.toThrow();
  });
});
