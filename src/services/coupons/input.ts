import { z } from "zod";
import { MAX_CENTS, MoneyFormatError } from "../../lib/money.js";
import { text } from "../../lib/validation.js";

const MAX_COUPON_CODE_LENGTH = 64;

/** Codes are stored upper-cased and matched case-insensitively. */
export function normalizeCouponCode(code: string): string {
  return code.trim().toUpperCase();
}

/** A coupon code as every entry point takes it (create, checkout, apply): trimmed, bounded, upper-cased. */
export const couponCode = z
  .string({ error: "is required" })
  .trim()
  .min(1, "is required")
  .max(MAX_COUPON_CODE_LENGTH, `must be at most ${MAX_COUPON_CODE_LENGTH} characters`)
  .regex(/^[A-Za-z0-9_-]+$/, "may contain only letters, digits, - and _")
  .transform(normalizeCouponCode);

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

const percentOffBps = z.union([z.number(), z.string()]).transform((value, ctx) => {
  try {
    return parsePercentToBps(value);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
});

const common = {
  code: couponCode,
  description: text(500).nullish(),
  expiresAt: z.coerce.date({ error: "must be an ISO 8601 date" }).nullish(),
  maxRedemptions: z.number().int("must be an integer").min(1, "must be at least 1").max(1_000_000_000).nullish(),
  minSubtotalCents: z.number().int("must be a whole number of cents").min(0).max(MAX_CENTS).nullish(),
};

/** The typed coupon every door ends up with: `percentOff` in percent goes in, `percentOffBps` comes out. */
export const couponInputSchema = z
  .discriminatedUnion(
  "type",
  [
    z.strictObject({ ...common, type: z.literal("PERCENTAGE"), percentOff: percentOffBps }),
    z.strictObject({
      ...common,
      type: z.literal("FIXED_AMOUNT"),
      amountOffCents: z.number().int("must be a whole number of cents").min(1, "must be positive").max(MAX_CENTS),
    }),
  ],
  { error: "type must be PERCENTAGE or FIXED_AMOUNT" },
  )
  .transform((coupon) => {
    if (coupon.type !== "PERCENTAGE") return { ...coupon, percentOffBps: null, amountOffCents: coupon.amountOffCents };
    const { percentOff, ...rest } = coupon;
    return { ...rest, percentOffBps: percentOff, amountOffCents: null };
  });

export type CouponInput = z.input<typeof couponInputSchema>;
