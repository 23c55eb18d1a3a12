import { db, sqlTransaction, type Prisma } from "../../db/index.js";
import { auditAdminWrite } from "../audit/index.js";
import { isUniqueViolation } from "../../db/errors.js";
import { DomainError, NotFoundError } from "../../errors.js";
import type { Principal } from "../../auth/principal.js";
import { parseInput } from "../../lib/validation.js";
import { decodeCursor, type Page, type PageRequest, requireAdmin, toPage } from "../common/index.js";
import { productInputSchema, type ProductInput } from "./input.js";
import { insertProduct, productRecordById, productRecordWindow, type Product, type ProductRecord } from "./sql.js";

export { productWindow, productsByIds, type Product, type ProductRecord } from "./sql.js";
export { MAX_STOCK, productInputSchema, type ProductInput } from "./input.js";

export async function createProduct(principal: Principal, input: ProductInput | Record<string, unknown>): Promise<Product> {
  requireAdmin(principal, "create products");
  const data = parseInput(productInputSchema, input);
  try {
    return await sqlTransaction(async (sql) => {
      const now = new Date();
      const product = await insertProduct(sql, data, now);
      await auditAdminWrite(sql, principal, { action: "product.create", subjectType: "Product", subjectId: product.id, details: { sku: data.sku, priceCents: data.priceCents, stockQuantity: data.stockQuantity } }, now);
      return product;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError("DUPLICATE", `A product with sku ${data.sku} already exists`, { field: "sku" });
    throw error;
  }
}

export async function getProduct(id: number): Promise<ProductRecord> {
  const product = await productRecordById(id);
  if (!product) throw new NotFoundError("Product", id);
  return product;
}

/** REST pages: newest first, the next cursor when there is more. */
export async function listProducts(page: PageRequest): Promise<Page<ProductRecord>> {
  const olderThan = page.cursor ? decodeCursor(page.cursor) : undefined;
  return toPage(await productRecordWindow({ olderThan, limit: page.limit + 1 }), page.limit);
}

export function findProduct<Q extends Omit<Prisma.ProductFindUniqueArgs, "where">>(query: Q, id: number) {
  return db().product.findUnique({ ...query, where: { id } });
}
