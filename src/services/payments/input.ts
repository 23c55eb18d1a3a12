import { z } from "zod";
import { MAX_CENTS } from "../../lib/money.js";
import { id } from "../../lib/validation.js";

export const paymentMethod = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, "must be a payment method name such as credit_card");
export const cardLast4 = z.string().regex(/^\d{4}$/, "must be the last 4 digits of the card");

export const paymentInputSchema = z.strictObject({
  orderId: id,
  amountCents: z.number().int("must be a whole number of cents").min(0, "must not be negative").max(MAX_CENTS, "is too large").nullish(),
  paymentMethod,
  cardLast4: cardLast4.nullish(),
});
