import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_CENTS, formatMoney, parseMoney, percentOf, type Cents } from "../src/lib/money.js";
import { discountFor } from "../src/services/coupons/discounts.js";
import { parsePercentToBps } from "../src/services/coupons/input.js";
import { parseLegacyDiscount } from "../src/services/coupons/legacy.js";

const cents = fc.integer({ min: 0, max: MAX_CENTS }).map((c) => c as Cents);
const bps = fc.integer({ min: 1, max: 10_000 });
const runs = { numRuns: 2_000 };

/** Half-up rounding of subtotal * bps / 10000 computed with exact big integers: the reference. */
function referencePercent(subtotal: number, basisPoints: number): number {
  const product = BigInt(subtotal) * BigInt(basisPoints);
  const quotient = product / 10_000n;
  return Number(product % 10_000n >= 5_000n ? quotient + 1n : quotient);
}

describe("money properties", () => {
  it("formats and parses back exactly", () => {
    fc.assert(fc.property(cents, (c) => parseMoney(formatMoney(c)) === c), runs);
  });

  it("reads a JSON number with at most 2 decimals exactly (19.99 -> 1999, never 1998)", () => {
    fc.assert(fc.property(cents, (c) => parseMoney(JSON.parse(JSON.stringify(c / 100))) === c), runs);
  });

  it("rounds percentages half-up to the cent, as exact integer arithmetic does", () => {
    fc.assert(fc.property(cents, bps, (s, p) => percentOf(s, p) === referencePercent(s, p)), runs);
  });

  it("keeps 0 <= discount <= subtotal and total = subtotal - discount for percentage coupons", () => {
    fc.assert(
      fc.property(cents, bps, (s, p) => {
        const d = discountFor(s, { type: "PERCENTAGE", percentOffBps: p });
        const total = s - d;
        return Number.isInteger(d) && d >= 0 && d <= s && total >= 0 && total + d === s;
      }),
      runs,
    );
  });

  it("keeps 0 <= discount <= subtotal for fixed amounts, the discount being min(amount, subtotal)", () => {
    fc.assert(
      fc.property(cents, fc.integer({ min: 1, max: MAX_CENTS }), (s, off) => {
        const d = discountFor(s, { type: "FIXED_AMOUNT", amountOffCents: off });
        return d === Math.min(off, s) && s - d >= 0;
      }),
      runs,
    );
  });

  it("gives the same discount however often it is computed from the subtotal (no compounding)", () => {
    fc.assert(
      fc.property(cents, bps, (s, p) => {
        const rule = { type: "PERCENTAGE" as const, percentOffBps: p };
        return discountFor(s, rule) === discountFor(s, rule);
      }),
    );
  });

  it("round-trips percentages with 2 decimals to basis points, and legacy '15%' means the same as 15", () => {
    fc.assert(
      fc.property(bps, (p) => {
        const percent = p / 100;
        return parsePercentToBps(percent) === p && parseLegacyDiscount(`${percent}%`) === p && parseLegacyDiscount(String(percent)) === p;
      }),
      runs,
    );
  });

  it("refuses any amount with more than 2 decimals instead of rounding it", () => {
    fc.assert(
      fc.property(cents, fc.integer({ min: 1, max: 9 }), (c, extra) => {
        const text = `${formatMoney(c)}${extra}`;
        expect(() => parseMoney(text)).toThrow();
        return true;
      }),
      { numRuns: 500 },
    );
  });
});

describe("money parser grammar", () => {
  const DECIMAL = /^(0|[1-9]\d{0,8})(?:\.(\d{1,2}))?$/;
  it("accepts exactly the strings of the decimal grammar, with their exact value", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9.]{0,13}$/), (text) => {
        const match = DECIMAL.exec(text);
        let parsed: number | undefined;
        try {
          parsed = parseMoney(text);
        } catch {
          parsed = undefined;
        }
        if (!match) return parsed === undefined;
        const expected = Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
        return expected > MAX_CENTS ? parsed === undefined : parsed === expected;
      }),
      { numRuns: 5_000 },
    );
  });
});
