import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, isInTransaction, transaction } from "../src/db/index.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ SEED_ON_START: false });
});
afterAll(() => server.stop());

describe("SQLite through the serialised adapter", () => {
  it("keeps a write made outside a transaction when a concurrent transaction rolls back", async () => {
    let outside: Promise<unknown> | undefined;
    await expect(
      transaction(async (tx) => {
        await tx.user.create({ data: { name: "Inside", email: "inside@example.test" } });
        // Issued while the transaction is open: it must not run inside it.
        outside = db().user.create({ data: { name: "Outside", email: "outside@example.test" } }).then((u) => u);
        await new Promise((r) => setTimeout(r, 20));
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    await outside;
    const emails = (await db().user.findMany()).map((u) => u.email);
    expect(emails).toContain("outside@example.test");
    expect(emails).not.toContain("inside@example.test");
  });

  it("never lets a read outside a transaction see its uncommitted writes", async () => {
    let outsideRead: Promise<unknown> | undefined;
    await expect(
      transaction(async (tx) => {
        await tx.user.create({ data: { name: "Ghost", email: "ghost@example.test" } });
        // Prisma queries are lazy: .then() sends it now, while the transaction is open.
        outsideRead = db().user.findUnique({ where: { email: "ghost@example.test" } }).then((u) => u);
        await new Promise((r) => setTimeout(r, 20));
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await outsideRead).toBeNull();
  });

  it("knows, through the async context, whether a transaction is open", async () => {
    expect(isInTransaction()).toBe(false);
    const seen = await transaction(async () => {
      await new Promise((r) => setTimeout(r, 1));
      return isInTransaction();
    });
    expect(seen).toBe(true);
    expect(isInTransaction()).toBe(false);
  });

  it("enforces foreign keys", async () => {
    await expect(
      db().order.create({ data: { userId: 987654, subtotalCents: 1, totalCents: 1 } }),
    ).rejects.toThrow();
  });
});
