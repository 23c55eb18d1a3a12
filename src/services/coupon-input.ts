import { z } from "zod";
import { ValidationError } from "../errors.js";
import { MAX_CENTS, MoneyFormatError } from "../lib/money.js";
import { decimalMoney, text } from "../lib/validation.js";

const PERCENT = /^(\d{1,3})(?:\.(\d{1,2}))?$/;

/** 15.25 -> 1525 basis points; more than 2 decimals, 0 or over 100 are refused. */
export function parsePercentToBps(input: string | number): number {
  const match = PERCENT.exec(typeof input === "number" ? String(input) : input.trim());
  const bps = match ? Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0")) : NaN;
  if (!(bps > 0 && bps <= 10_000)) {
    throw new MoneyFormatError("must be a percentage greater than 0 and at most 100, with at most 2 decimals");
  }
  return bps;
}

/**
 * The storefront's legacy free-form discount: a number, or a string "15" or
 * "15%", meaning 15 percent. Anything else ("15 percent", "abc", "-5", "0",
 * "150", "") is refused, never guessed.
 */
export function parseLegacyDiscount(value: unknown): number {
  if (typeof value === "number") return parsePercentToBps(value);
  if (typeof value !== "string") throw new MoneyFormatError("must be a number or a string like \"15\" or \"15%\"");
  const match = /^\s*(\d{1,3}(?:\.\d{1,2})?)\s*%?\s*$/.exec(value);
  if (!match) throw new MoneyFormatError("must be a number or a string like \"15\" or \"15%\"");
  return parsePercentToBps(match[1]!);
}

const code = z
  .string({ error: "is required" })
  .trim()
  .min(1, "is required")
  .max(64, "must be at most 64 characters")
  .regex(/^[A-Za-z0-9_-]+$/, "may contain only letters, digits, - and _")
  .transform((c) => c.toUpperCase());

const percent = z.union([z.number(), z.string()]).transform((value, ctx) => {
  try {
    return parsePercentToBps(value);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
});

const common = {
  code,
  description: text(500).nullish(),
  expiresAt: z.coerce.date({ error: "must be an ISO 8601 date" }).nullish(),
  maxRedemptions: z.number().int("must be an integer").min(1, "must be at least 1").max(1_000_000_000).nullish(),
  minSubtotalCents: z.number().int("must be a whole number of cents").min(0).max(MAX_CENTS).nullish(),
};

/** The typed coupon every door ends up with (GraphQL sends it as is). */
export const couponInputSchema = z.discriminatedUnion("type", [
  z.strictObject({ ...common, type: z.literal("PERCENTAGE"), percentOff: percent }),
  z.strictObject({
    ...common,
    type: z.literal("FIXED_AMOUNT"),
    amountOffCents: z.number().int("must be a whole number of cents").min(1, "must be positive").max(MAX_CENTS),
  }),
], { error: "type must be PERCENTAGE or FIXED_AMOUNT" });

export type CouponInput = z.input<typeof couponInputSchema>;
export type ParsedCouponInput = z.output<typeof couponInputSchema>;

/**
 * REST accepts three shapes: typed with percentOff, typed with a decimal
 * amountOff (or amountOffCents), and the storefront's old `{code, discount}`.
 * All become the typed form, which the service validates.
 */
export function couponInputFromRest(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw ValidationError.field("", "the body must be a JSON object");
  const record = body as Record<string, unknown>;
  if ("discount" in record) {
    const { discount, type, ...rest } = record;
    if (type !== undefined) throw ValidationError.field("discount", "send either discount (legacy) or type with percentOff/amountOff");
    let bps: number;
    try {
      bps = parseLegacyDiscount(discount);
    } catch (error) {
      throw ValidationError.field("discount", (error as Error).message);
    }
    return { ...rest, type: "PERCENTAGE", percentOff: bps / 100 };
  }
  if ("amountOff" in record) {
    const { amountOff, ...rest } = record;
    const parsed = decimalMoney.safeParse(amountOff);
    if (!parsed.success) throw ValidationError.field("amountOff", parsed.error.issues[0]?.message ?? "is invalid");
    return { ...rest, amountOffCents: parsed.data };
  }
  return record;
}
