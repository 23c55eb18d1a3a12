import { ValidationError } from "../errors.js";
import { decimalMoney, isRecord } from "../lib/validation.js";
import { parseLegacyDiscount } from "../services/coupons/legacy.js";

/**
 * The storefront sends decimal money (`"price": 19.99`); the services take
 * integer cents. Renames the field, parsing the amount exactly, and reports a
 * bad or missing amount under the storefront's name. Everything else is left
 * for the service to validate (once).
 */
export function decimalToCents(body: unknown, from: string, to: string, options: { required: boolean }): unknown {
  if (!isRecord(body)) return body;
  if (to in body) throw ValidationError.field(to, `is not a field here; send ${from} as a decimal amount`);
  const { [from]: value, ...rest } = body;
  if (value === undefined || value === null) {
    if (options.required) throw ValidationError.field(from, "is required");
    return rest;
  }
  const parsed = decimalMoney.safeParse(value);
  if (!parsed.success) throw ValidationError.field(from, parsed.error.issues[0]?.message ?? "is invalid");
  return { ...rest, [to]: parsed.data };
}

/**
 * REST's coupon bodies: typed with percentOff, typed with a decimal amountOff
 * (or amountOffCents), and the storefront's old `{code, discount}` ("15",
 * "15%", 15). All become the typed form the service validates.
 */
export function couponFromRest(body: unknown): unknown {
  if (!isRecord(body)) throw ValidationError.field("", "the body must be a JSON object");
  if ("discount" in body) {
    const { discount, type, ...rest } = body;
    if (type !== undefined) throw ValidationError.field("discount", "send either discount (legacy) or type with percentOff/amountOff");
    try {
      return { ...rest, type: "PERCENTAGE", percentOff: parseLegacyDiscount(discount) / 100 };
    } catch (error) {
      throw ValidationError.field("discount", (error as Error).message);
    }
  }
  if ("amountOff" in body) return decimalToCents(body, "amountOff", "amountOffCents", { required: true });
  return body;
}
