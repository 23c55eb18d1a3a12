import { readRows, type Sql } from "../../db/index.js";
import { columns, toIsoString, type Row } from "../../db/rows.js";
import { memoized, placeholders } from "../../db/statements.js";

export type Product = Row<"Product">;
/** A product as the REST door sends it: timestamps stay ISO 8601 text, never parsed into Dates to be printed back. */
export type ProductRecord = Omit<Product, "createdAt" | "updatedAt"> & { createdAt: string; updatedAt: string };

const PRODUCT = columns("Product", ["id", "sku", "name", "description", "priceCents", "stockQuantity", "createdAt", "updatedAt"]);

export const statements = {
  byId: `SELECT ${PRODUCT.list} FROM "Product" WHERE "id" = ?`,
  window: `SELECT ${PRODUCT.list} FROM "Product" WHERE "id" < ? AND "id" > ? ORDER BY "id" DESC LIMIT ?`,
  windowOldestFirst: `SELECT ${PRODUCT.list} FROM "Product" WHERE "id" < ? AND "id" > ? ORDER BY "id" ASC LIMIT ?`,
  insert: `INSERT INTO "Product" ("sku", "name", "description", "priceCents", "stockQuantity", "createdAt", "updatedAt")
    VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${PRODUCT.list}`,
};

const byIds = memoized((n: number) => `SELECT ${PRODUCT.list} FROM "Product" WHERE "id" IN (${placeholders(n)})`);

export const samples = (): string[] => [byIds(1), byIds(3)];

type Stored = Omit<Product, "createdAt" | "updatedAt"> & { createdAt: unknown; updatedAt: unknown };

/** The REST door's record, built field by field (the hottest read: no spread, no Date round trip). */
const toRecord = (r: Stored): ProductRecord => ({
  id: r.id,
  sku: r.sku,
  name: r.name,
  description: r.description,
  priceCents: r.priceCents,
  stockQuantity: r.stockQuantity,
  createdAt: toIsoString(r.createdAt),
  updatedAt: toIsoString(r.updatedAt),
});

export type ProductWindow = { olderThan?: number; newerThan?: number; limit: number; oldestFirst?: boolean };

function windowRows(window: ProductWindow): Promise<Stored[]> {
  return readRows<Stored>(window.oldestFirst ? statements.windowOldestFirst : statements.window, [
    window.olderThan ?? 2_147_483_647, window.newerThan ?? 0, window.limit,
  ]);
}

/** A keyset window of the catalogue: ids strictly between the bounds, newest first (or oldest first for backward pages). */
export async function productWindow(window: ProductWindow): Promise<Product[]> {
  return (await windowRows(window)).map(PRODUCT.decode);
}

export async function productRecordWindow(window: ProductWindow): Promise<ProductRecord[]> {
  return (await windowRows(window)).map(toRecord);
}

export async function productRecordById(id: number): Promise<ProductRecord | undefined> {
  const [row] = await readRows<Stored>(statements.byId, [id]);
  return row ? toRecord(row) : undefined;
}

/** Many products by id in one statement (a per-request loader's batch). */
export async function productsByIds(ids: readonly number[]): Promise<Map<number, Product>> {
  const rows = (await readRows(byIds(ids.length), [...ids])).map(PRODUCT.decode);
  return new Map(rows.map((r) => [r.id, r]));
}

export type NewProduct = Pick<Product, "sku" | "name" | "description" | "priceCents" | "stockQuantity">;

export async function insertProduct(sql: Sql, p: NewProduct, now: Date): Promise<Product> {
  return PRODUCT.decode(await sql.get(statements.insert, [p.sku, p.name, p.description, p.priceCents, p.stockQuantity, now, now]));
}
