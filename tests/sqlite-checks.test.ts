import { randomUUID } from "node:crypto";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { MigrationError, migrateSqlite, migrationsDir, readMigrations } from "../src/db/migrate.js";
import * as enums from "../src/generated/sqlite/enums.js";
import { TMP_DIR } from "./helpers/server.js";

const ENUM_CHECKS = "20261129000000_enum_checks";
const scratch = join(TMP_DIR, `sqlite-checks-${randomUUID()}`);
mkdirSync(scratch, { recursive: true });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const tempFile = () => join(scratch, `${randomUUID()}.db`);
const now = () => new Date().toISOString();
type Conn = Database.Database;

// Minimal valid rows, written the way a raw statement (not the Prisma client) would.
const user = (c: Conn) =>
  Number(c.prepare(`INSERT INTO "User" (email, name, updatedAt) VALUES (?, 'U', ?)`).run(`${randomUUID()}@example.test`, now()).lastInsertRowid);
const product = (c: Conn) =>
  Number(c.prepare(`INSERT INTO "Product" (name, priceCents, stockQuantity, updatedAt) VALUES ('P', 100, 5, ?)`).run(now()).lastInsertRowid);
const order = (c: Conn, status = "PENDING") =>
  Number(
    c.prepare(`INSERT INTO "Order" (userId, status, subtotalCents, totalCents, updatedAt) VALUES (?, ?, 100, 100, ?)`)
      .run(user(c), status, now()).lastInsertRowid,
  );

/** Every enum column of the schema, with a writer of one row holding `value` there. */
const ENUM_COLUMNS: Record<keyof typeof enums, { table: string; column: string; insert: (c: Conn, value: string) => unknown }> = {
  OrderStatus: { table: "Order", column: "status", insert: (c, v) => order(c, v) },
  PaymentStatus: {
    table: "Payment",
    column: "status",
    insert: (c, v) =>
      c.prepare(`INSERT INTO "Payment" (orderId, status, amountCents, paymentMethod, updatedAt) VALUES (?, ?, 100, 'card', ?)`).run(order(c), v, now()),
  },
  RefundStatus: {
    table: "Refund",
    column: "status",
    insert: (c, v) => {
      const payment = c.prepare(`INSERT INTO "Payment" (orderId, status, amountCents, paymentMethod, updatedAt) VALUES (?, 'COMPLETED', 100, 'card', ?)`).run(order(c), now());
      return c.prepare(`INSERT INTO "Refund" (paymentId, status, amountCents, actor, gatewayKey, updatedAt) VALUES (?, ?, 100, 'admin', ?, ?)`)
        .run(payment.lastInsertRowid, v, randomUUID(), now());
    },
  },
  ReservationStatus: {
    table: "InventoryReservation",
    column: "status",
    insert: (c, v) =>
      c.prepare(`INSERT INTO "InventoryReservation" (orderId, productId, quantity, status, expiresAt, updatedAt) VALUES (?, ?, 1, ?, ?, ?)`)
        .run(order(c), product(c), v, now(), now()),
  },
  CouponType: {
    table: "Coupon",
    column: "type",
    insert: (c, v) => c.prepare(`INSERT INTO "Coupon" (code, type, updatedAt) VALUES (?, ?, ?)`).run(randomUUID(), v, now()),
  },
  IdempotencyStatus: {
    table: "IdempotencyKey",
    column: "status",
    insert: (c, v) =>
      c.prepare(`INSERT INTO "IdempotencyKey" (scope, operation, key, fingerprint, status, expiresAt, updatedAt) VALUES ('s', 'op', ?, 'f', ?, ?, ?)`)
        .run(randomUUID(), v, now(), now()),
  },
  BulkUploadJobStatus: {
    table: "BulkUploadJob",
    column: "status",
    insert: (c, v) =>
      c.prepare(`INSERT INTO "BulkUploadJob" (status, filePath, fileSizeBytes, updatedAt) VALUES (?, '/tmp/x.csv', 1, ?)`).run(v, now()),
  },
  OutboxStatus: {
    table: "OutboxEvent",
    column: "status",
    insert: (c, v) => c.prepare(`INSERT INTO "OutboxEvent" (type, payload, status) VALUES ('email', '{}', ?)`).run(v),
  },
};

describe("SQLite CHECK constraints on enum columns", () => {
  const file = tempFile();
  migrateSqlite(`file:${file}`);
  const conn = new Database(file);
  afterAll(() => conn.close());

  it("covers every enum of the generated client", () => {
    expect(Object.keys(ENUM_COLUMNS).sort()).toEqual(Object.keys(enums).sort());
  });

  for (const [name, { table, column, insert }] of Object.entries(ENUM_COLUMNS)) {
    const values = Object.values(enums[name as keyof typeof enums]) as string[];

    it(`${table}.${column} accepts every ${name} value`, () => {
      for (const value of values) expect(() => insert(conn, value), value).not.toThrow();
    });

    it(`${table}.${column} refuses a misspelt value, on insert and on update`, () => {
      const check = new RegExp(`CHECK constraint failed: ${table}_${column}_check`);
      for (const bad of ["PAYED", values[0]!.toLowerCase(), ""]) {
        expect(() => insert(conn, bad), JSON.stringify(bad)).toThrow(check);
      }
      expect(() => conn.prepare(`UPDATE "${table}" SET "${column}" = 'PAYED'`).run()).toThrow(check);
    });
  }
});

describe("the enum_checks migration on a database in use", () => {
  const tables = [
    "User", "Product", "Coupon", "Order", "OrderItem", "InventoryReservation", "Payment",
    "IdempotencyKey", "BulkUploadJob", "BulkUploadRowError", "OutboxEvent",
  ];
  const snapshot = (c: Conn) =>
    Object.fromEntries(tables.map((t) => [t, c.prepare(`SELECT * FROM "${t}" ORDER BY id`).all()]));
  const sequences = (c: Conn) => c.prepare(`SELECT name, seq FROM sqlite_sequence ORDER BY name`).all();

  it("keeps every row, children included, and the AUTOINCREMENT high-water marks", () => {
    const before = join(scratch, `before-${randomUUID()}`);
    for (const m of readMigrations(migrationsDir("sqlite")).filter((m) => m.name < ENUM_CHECKS)) {
      cpSync(join(migrationsDir("sqlite"), m.name), join(before, m.name), { recursive: true });
    }
    const file = tempFile();
    expect(migrateSqlite(`file:${file}`, before)).not.toContain(ENUM_CHECKS);

    const c = new Database(file);
    const t = now();
    c.exec(`
      INSERT INTO "User" (id, email, name, updatedAt) VALUES (1, 'a@example.test', 'A', '${t}');
      INSERT INTO "Product" (id, sku, name, priceCents, stockQuantity, updatedAt) VALUES (1, 'SKU-1', 'P', 1500, 9, '${t}');
      INSERT INTO "Coupon" (id, code, type, percentOffBps, updatedAt) VALUES (1, 'TEN', 'PERCENTAGE', 1000, '${t}');
      INSERT INTO "Order" (id, userId, status, subtotalCents, discountCents, totalCents, couponId, reservedUntil, updatedAt)
        VALUES (1, 1, 'PAID', 3000, 300, 2700, 1, '${t}', '${t}');
      INSERT INTO "OrderItem" (id, orderId, productId, quantity, unitPriceCents, lineTotalCents) VALUES (1, 1, 1, 2, 1500, 3000);
      INSERT INTO "InventoryReservation" (id, orderId, productId, quantity, status, expiresAt, updatedAt)
        VALUES (1, 1, 1, 2, 'COMMITTED', '${t}', '${t}');
      INSERT INTO "Payment" (id, orderId, status, amountCents, paymentMethod, cardLast4, gatewayChargeId, updatedAt)
        VALUES (1, 1, 'COMPLETED', 2700, 'card', '4242', 'ch_1', '${t}');
      INSERT INTO "IdempotencyKey" (id, scope, operation, key, fingerprint, status, recoveryPoint, resourceId, responseStatus, responseBody, expiresAt, updatedAt)
        VALUES (1, 'user:1', 'checkout', 'k1', 'fp', 'COMPLETED', 'order', 1, 200, '{}', '${t}', '${t}');
      INSERT INTO "BulkUploadJob" (id, status, filePath, fileSizeBytes, columns, requestId, updatedAt)
        VALUES (1, 'COMPLETED', '/tmp/p.csv', 42, '["sku"]', 'req-1', '${t}');
      INSERT INTO "BulkUploadRowError" (id, jobId, row, line, "column", message) VALUES (1, 1, 3, 4, 'priceCents', 'not a number');
      INSERT INTO "OutboxEvent" (id, type, payload, status, requestId) VALUES (1, 'order.paid', '{"orderId":1}', 'PENDING', 'req-1');
      -- Deleted rows (as the housekeeping purges do) leave the sequence above the largest id.
      INSERT INTO "OutboxEvent" (id, type, payload, status) VALUES (2, 'order.paid', '{}', 'DELIVERED');
      DELETE FROM "OutboxEvent" WHERE id = 2;
    `);
    const rows = snapshot(c);
    const seqs = sequences(c);
    c.close();

    expect(migrateSqlite(`file:${file}`)).toContain(ENUM_CHECKS);

    const after = new Database(file);
    try {
      // Every row keeps every value; columns added by later migrations take their defaults.
      expect(snapshot(after)).toMatchObject(rows);
      expect(after.prepare(`SELECT "allowZeroPrices" FROM "BulkUploadJob"`).get()).toEqual({ allowZeroPrices: 0 });
      for (const t of tables) expect(rows[t], t).toHaveLength(1);
      expect(sequences(after)).toEqual(seqs);
      expect(after.pragma("foreign_key_check")).toEqual([]);
      // The CHECKs are in force on the migrated file, and foreign keys still cascade.
      expect(() => after.prepare(`UPDATE "Order" SET status = 'PAYED'`).run()).toThrow(/CHECK constraint failed/);
      after.prepare(`DELETE FROM "Payment"`).run();
      after.prepare(`DELETE FROM "Order"`).run();
      expect(after.prepare(`SELECT count(*) AS n FROM "OrderItem"`).get()).toEqual({ n: 0 });
    } finally {
      after.close();
    }
  });

  it("refuses, and rolls back, a migration that leaves dangling foreign keys", () => {
    const dir = join(scratch, `broken-${randomUUID()}`);
    cpSync(migrationsDir("sqlite"), dir, { recursive: true });
    const file = tempFile();
    migrateSqlite(`file:${file}`, dir);
    const c = new Database(file);
    order(c);
    c.close();

    mkdirSync(join(dir, "20991231000000_orphan_orders"));
    writeFileSync(join(dir, "20991231000000_orphan_orders", "migration.sql"), `DELETE FROM "User";`);
    expect(() => migrateSqlite(`file:${file}`, dir)).toThrow(MigrationError);
    expect(() => migrateSqlite(`file:${file}`, dir)).toThrow(/20991231000000_orphan_orders.*foreign key/);

    const after = new Database(file);
    try {
      expect(after.prepare(`SELECT count(*) AS n FROM "User"`).get()).toEqual({ n: 1 });
      expect(after.prepare(`SELECT count(*) AS n FROM "_prisma_migrations" WHERE migration_name LIKE '2099%'`).get()).toEqual({ n: 0 });
    } finally {
      after.close();
    }
  });
});
