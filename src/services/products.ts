import { z } from "zod";
import { db, type Prisma } from "../db/index.js";
import { isUniqueViolation } from "../db/errors.js";
import { DomainError, NotFoundError } from "../errors.js";
import { MAX_CENTS } from "../lib/money.js";
import { parseInput, requiredText, text } from "../lib/validation.js";
import { pageQuery, toPage, type Page, type PageRequest } from "./pagination.js";

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

export async function getProduct(id: number): Promise<Product> {
  const product = await db().product.findUnique({ where: { id } });
  if (!product) throw new NotFoundError("Product", id);
  return product;
}

export async function listProducts(page: PageRequest): Promise<Page<Product>> {
  return toPage(await db().product.findMany(pageQuery(page)), page.limit);
}

/** For GraphQL connections: the plugin's query (selection, take, cursor) spread in, newest first. */
export function findProducts<Q extends Prisma.ProductFindManyArgs>(query: Q) {
  return db().product.findMany({ ...query, orderBy: { id: "desc" } });
}

export function findProduct<Q extends Omit<Prisma.ProductFindUniqueArgs, "where">>(query: Q, id: number) {
  return db().product.findUnique({ ...query, where: { id } });
}
