import { z } from "zod";
import { db, readRows, type Prisma } from "../db/index.js";
import { isUniqueViolation } from "../db/errors.js";
import { toIsoString } from "../db/sql.js";
import { DomainError, NotFoundError } from "../errors.js";
import { MAX_CENTS } from "../lib/money.js";
import { parseInput, requiredText, text } from "../lib/validation.js";
import { decodeCursor, toPage, type Page, type PageRequest } from "./pagination.js";

export type Product = Prisma.ProductGetPayload<object>;

export const MAX_STOCK = 1_000_000_000;

export const productInputSchema = z.strictObject({
  name: requiredText(200),
  description: text(2000).nullish().transform((v) => (v ? v : null)),
  priceCents: z.number().int("must be a whole number of cents").min(0, "must not be negative").max(MAX_CENTS, "is too large"),
  stockQuantity: z.number().int("must be an integer").min(0, "must not be negative").max(MAX_STOCK, "is too large"),
  sku: z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(64, "must be at most 64 characters")
    .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/, "may contain only letters, digits and . _ - /")
    .nullish()
    .transform((v) => v ?? null),
});

export type ProductInput = z.input<typeof productInputSchema>;

export async function createProduct(input: ProductInput): Promise<Product> {
  const data = parseInput(productInputSchema, input);
  try {
    return await db().product.create({ data });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new DomainError("DUPLICATE", `A product with sku ${data.sku} already exists`, { field: "sku" });
    }
    throw error;
  }
}

const PRODUCT_COLUMNS = `"id", "sku", "name", "description", "priceCents", "stockQuantity", "createdAt", "updatedAt"`;
type ProductRow = Omit<Product, "createdAt" | "updatedAt"> & { createdAt: string | Date; updatedAt: string | Date };
/** A product as the REST door sends it: timestamps stay ISO 8601 text, never parsed into Dates to be printed back. */
export type ProductRecord = Omit<Product, "createdAt" | "updatedAt"> & { createdAt: string; updatedAt: string };

/** A row as a product, its timestamps converted by `time` (built field by field: no spread per row). */
function productFrom<T>(r: ProductRow, time: (stored: string | Date) => T) {
  return {
    id: r.id,
    sku: r.sku,
    name: r.name,
    description: r.description,
    priceCents: r.priceCents,
    stockQuantity: r.stockQuantity,
    createdAt: time(r.createdAt),
    updatedAt: time(r.updatedAt),
  };
}
const fromRow = (r: ProductRow): Product => productFrom(r, (t) => new Date(t));
const toRecord = (r: ProductRow): ProductRecord => productFrom(r, toIsoString);

export async function getProduct(id: number): Promise<ProductRecord> {
  const [row] = await readRows<ProductRow>(`SELECT ${PRODUCT_COLUMNS} FROM "Product" WHERE "id" = ?`, [id]);
  if (!row) throw new NotFoundError("Product", id);
  return toRecord(row);
}

type ProductWindow = { olderThan?: number; newerThan?: number; limit: number; oldestFirst?: boolean };

function windowRows(window: ProductWindow): Promise<ProductRow[]> {
  return readRows<ProductRow>(
    `SELECT ${PRODUCT_COLUMNS} FROM "Product" WHERE "id" < ? AND "id" > ? ORDER BY "id" ${window.oldestFirst ? "ASC" : "DESC"} LIMIT ?`,
    [window.olderThan ?? 2_147_483_647, window.newerThan ?? 0, window.limit],
  );
}

/**
 * A keyset window of the catalogue, the hottest read of both doors, on the
 * driver (see readRows): ids strictly between the bounds, newest first (or
 * oldest first, for backward GraphQL pages).
 */
export async function productWindow(window: ProductWindow): Promise<Product[]> {
  return (await windowRows(window)).map(fromRow);
}

/** REST pages: newest first, the next cursor when there is more. */
export async function listProducts(page: PageRequest): Promise<Page<ProductRecord>> {
  const olderThan = page.cursor ? decodeCursor(page.cursor) : undefined;
  return toPage((await windowRows({ olderThan, limit: page.limit + 1 })).map(toRecord), page.limit);
}

export function findProduct<Q extends Omit<Prisma.ProductFindUniqueArgs, "where">>(query: Q, id: number) {
  return db().product.findUnique({ ...query, where: { id } });
}

/** Many products by id in one statement (a per-request loader's batch). */
export async function productsByIds(ids: readonly number[]): Promise<Map<number, Product>> {
  const rows = await readRows<ProductRow>(`SELECT ${PRODUCT_COLUMNS} FROM "Product" WHERE "id" IN (${ids.map(() => "?").join(", ")})`, [...ids]);
  return new Map(rows.map((r) => [r.id, fromRow(r)]));
}
