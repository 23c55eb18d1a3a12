import { z } from "zod";
import { ValidationError } from "../../errors.js";
import { id, parseInput } from "../../lib/validation.js";
import { couponCode } from "../coupons/index.js";
import { cardLast4, paymentMethod } from "../payments/input.js";
import { settings } from "../common/index.js";

export const MAX_QUANTITY = 1_000;

const checkoutSchema = (maxItems: number) =>
  z.strictObject({
    userId: id,
    items: z
      .array(
        z.strictObject({
          productId: id,
          quantity: z
            .number({ error: "must be a positive integer" })
            .int("must be a positive integer")
            .min(1, "must be at least 1")
            .max(MAX_QUANTITY, `must be at most ${MAX_QUANTITY}`),
        }),
        { error: "must be a list of {productId, quantity}" },
      )
      .min(1, "must hold at least one item")
      .max(maxItems, `must hold at most ${maxItems} items`),
    paymentMethod: paymentMethod.nullish(),
    cardLast4: cardLast4.nullish(),
    couponCode: couponCode.nullish(),
  });

/** The checkout body's validator for a cart-size limit (one per limit: building a zod schema costs more than parsing with it). */
const schemas = new Map<number, ReturnType<typeof checkoutSchema>>();
export function checkoutInputSchema(maxItems: number): ReturnType<typeof checkoutSchema> {
  let schema = schemas.get(maxItems);
  if (!schema) schemas.set(maxItems, (schema = checkoutSchema(maxItems)));
  return schema;
}

export interface CheckoutInput {
  userId: number;
  items: { productId: number; quantity: number }[];
  paymentMethod: string | null;
  cardLast4: string | null;
  couponCode: string | null;
}

/**
 * The canonical input both doors share: lines for the same product are merged,
 * the coupon code is upper-cased, absent options are null. Its hash is the
 * idempotency fingerprint, so REST and GraphQL requests compare equal.
 */
export function parseCheckoutInput(raw: unknown): CheckoutInput {
  const input = parseInput(checkoutInputSchema(settings().maxCheckoutItems), raw);
  const quantities = new Map<number, number>();
  for (const item of input.items) quantities.set(item.productId, (quantities.get(item.productId) ?? 0) + item.quantity);
  const items = [...quantities].map(([productId, quantity]) => ({ productId, quantity }));
  const tooMany = items.find((i) => i.quantity > MAX_QUANTITY);
  if (tooMany) throw ValidationError.field("items", `product ${tooMany.productId}: at most ${MAX_QUANTITY} in one order`);
  return {
    userId: input.userId,
    items,
    paymentMethod: input.paymentMethod ?? null,
    cardLast4: input.cardLast4 ?? null,
    couponCode: input.couponCode ?? null,
  };
}
