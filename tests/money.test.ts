import { describe, expect, it } from "vitest";
import { formatMoney, parseMoney, percentOf, toDecimalNumber, type Cents } from "../src/lib/money.js";

describe("money", () => {
  it.each([
    ["19.99", 1999],
    [19.99, 1999],
    ["20", 2000],
    ["0.5", 50],
    [0.1, 10],
    ["1000000.00", 100_000_000],
    [" 3.10 ", 310],
  ])("parses %j exactly to %i cents", (input, expected) => {
    expect(parseMoney(input)).toBe(expected);
  });

  it.each(["10.999", "1e3", 1e21, NaN, Infinity, -1, "-1", "", "abc", "1,000.00", "1000000.01", "01.00", ".5"])(
    "refuses %j",
    (input) => {
      expect(() => parseMoney(input as string | number)).toThrow();
    },
  );

  it("formats cents as decimal text and number", () => {
    expect(formatMoney(1999 as Cents)).toBe("19.99");
    expect(formatMoney(5 as Cents)).toBe("0.05");
    expect(formatMoney(-250 as Cents)).toBe("-2.50");
    expect(toDecimalNumber(24998 as Cents)).toBe(249.98);
  });

  it("rounds percentages half-up to the cent", () => {
    expect(percentOf(5997 as Cents, 1500)).toBe(900); // 899.55 -> 900
    expect(percentOf(1000 as Cents, 1525)).toBe(153); // 152.5 -> 153
    expect(percentOf(999 as Cents, 1000)).toBe(100); // 99.9 -> 100
    expect(percentOf(994 as Cents, 1000)).toBe(99); // 99.4 -> 99
  });
});
