import { z } from "zod";
import { MAX_CENTS } from "../../lib/money.js";
import { id, text } from "../../lib/validation.js";

/** Why a refund or a cancellation was asked for: kept in the audit trail. */
export const reason = text(500).nullish().transform((v) => (v ? v : null));

export const refundInputSchema = z.strictObject({
  paymentId: id,
  /** Left out: what remains of the charge. */
  // Left out, not null: a client's null must not refund everything.
  amountCents: z.number({ error: "must be a whole number of cents; leave it out to refund what remains" }).int("must be a whole number of cents").min(1, "must be at least 1 cent").max(MAX_CENTS, "is too large").optional(),
  reason,
});

export type RefundInput = z.input<typeof refundInputSchema>;
