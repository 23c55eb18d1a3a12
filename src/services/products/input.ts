import { z } from "zod";
import { MAX_CENTS } from "../../lib/money.js";
import { requiredText, text } from "../../lib/validation.js";

export const MAX_STOCK = 1_000_000_000;

const productName = requiredText(200);
const productDescription = text(2000);
const sku = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/, "may contain only letters, digits and . _ - /");
const stockQuantity = z.number().int("must be an integer").min(0, "must not be negative").max(MAX_STOCK, "is too large");

/**
 * A product as an admin creates it. A price of 0 gives the product away, so it
 * takes `allowZeroPrice: true` as well: a slip of the keyboard stays a 422.
 */
export const productInputSchema = z
  .strictObject({
    name: productName,
    description: productDescription.nullish().transform((v) => (v ? v : null)),
    priceCents: z.number().int("must be a whole number of cents").min(0, "must not be negative").max(MAX_CENTS, "is too large"),
    stockQuantity,
    sku: sku.nullish().transform((v) => v ?? null),
    allowZeroPrice: z.boolean().nullish(),
  })
  .refine((p) => p.priceCents > 0 || p.allowZeroPrice === true, {
    path: ["priceCents"],
    message: "is 0: a free product needs allowZeroPrice: true as well",
  })
  .transform(({ allowZeroPrice: _, ...product }) => product);

export type ProductInput = z.input<typeof productInputSchema>;
