import { percentOf, type Cents } from "../../lib/money.js";

export type DiscountRule =
  | { type: "PERCENTAGE"; percentOffBps: number }
  | { type: "FIXED_AMOUNT"; amountOffCents: number };

/**
 * The discount on a subtotal, always computed from the subtotal (never from a
 * discounted total): percentages round half-up to the cent, a fixed amount
 * never exceeds the subtotal, so 0 <= discount <= subtotal.
 */
export function discountFor(subtotalCents: Cents, rule: DiscountRule): Cents {
  const raw = rule.type === "PERCENTAGE" ? percentOf(subtotalCents, rule.percentOffBps) : rule.amountOffCents;
  return Math.max(0, Math.min(raw, subtotalCents)) as Cents;
}
