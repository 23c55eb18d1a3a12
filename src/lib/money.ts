/**
 * Money is integer cents (USD) everywhere. This module is the only place that
 * converts between cents and decimal text, so no float ever enters a total.
 */
declare const centsBrand: unique symbol;
export type Cents = number & { readonly [centsBrand]: true };

/** $1,000,000.00: larger amounts are rejected at the boundary (and fit a 32-bit column). */
export const MAX_CENTS = 100_000_000;

export class MoneyFormatError extends Error {}

export function cents(value: number): Cents {
  if (!Number.isSafeInteger(value)) throw new MoneyFormatError(`not an integer amount of cents: ${value}`);
  return value as Cents;
}

/**
 * Parses a non-negative decimal amount ("19.99", 19.99, "20", "0.5") to cents exactly.
 * A JSON number is read through its shortest decimal form, which is exact for
 * every value with at most two decimals; anything else is refused, never rounded.
 */
export function parseMoney(input: string | number): Cents {
  const text = typeof input === "number" ? numberToPlainText(input) : input.trim();
  const value = decimalToCents(text);
  if (value < 0) throw new MoneyFormatError("must be a non-negative decimal amount with at most 2 decimals");
  if (value > MAX_CENTS) throw new MoneyFormatError(`must be at most ${formatMoney(MAX_CENTS as Cents)}`);
  return value as Cents;
}

/**
 * The grammar `(0|[1-9][0-9]{0,8})(.[0-9]{1,2})?`, read character by character (the bulk import calls this
 * a million times per file): cents, or -1 when the text does not match.
 */
function decimalToCents(text: string): number {
  const n = text.length;
  let i = 0;
  let whole = 0;
  while (i < n) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    if (i > 0 && whole === 0) return -1; // a leading zero ("01")
    whole = whole * 10 + c;
    if (++i > 9) return -1;
  }
  if (i === 0) return -1;
  if (i === n) return whole * 100;
  if (text.charCodeAt(i) !== 46 || n - i - 1 < 1 || n - i - 1 > 2) return -1; // "." and 1-2 digits
  let fraction = 0;
  for (let j = i + 1; j < n; j++) {
    const c = text.charCodeAt(j) - 48;
    if (c < 0 || c > 9) return -1;
    fraction = fraction * 10 + c;
  }
  return whole * 100 + (n - i - 1 === 1 ? fraction * 10 : fraction);
}

function numberToPlainText(n: number): string {
  if (!Number.isFinite(n)) return "NaN";
  return String(n); // exponent forms ("1e+21", "1e-7") fail the pattern
}

/** "1999" cents -> "19.99". */
export function formatMoney(amount: Cents): string {
  const sign = amount < 0 ? "-" : "";
  const abs = Math.abs(amount);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** Cents as the decimal number the storefront reads (199.99); exact once serialised to JSON. */
export function toDecimalNumber(amount: Cents): number {
  return Number(formatMoney(amount));
}

/** basisPoints / 10000 of amount, rounded half-up to the cent (15% of 5997 = 899.55 -> 900). */
export function percentOf(amount: Cents, basisPoints: number): Cents {
  if (!Number.isSafeInteger(basisPoints) || basisPoints < 0) throw new MoneyFormatError("invalid basis points");
  return Math.floor((amount * basisPoints + 5_000) / 10_000) as Cents;
}

export function sumCents(values: readonly Cents[]): Cents {
  let total = 0;
  for (const v of values) total += v;
  return total as Cents;
}

export function multiplyCents(amount: Cents, quantity: number): Cents {
  if (!Number.isSafeInteger(quantity)) throw new MoneyFormatError("quantity must be an integer");
  return (amount * quantity) as Cents;
}
