import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * A lint rule as a test: money is integer cents, converted only in
 * src/lib/money.ts. Anything that parses, rounds or divides money as a float
 * elsewhere fails here, with the file and line.
 */
const ROOT = join(process.cwd(), "src");
const ALLOWED = new Set(["lib/money.ts"]);
const FORBIDDEN: [RegExp, string][] = [
  [/\bparseFloat\s*\(/, "parseFloat: parse money with parseMoney()"],
  [/\.toFixed\s*\(/, "toFixed: format money with formatMoney()"],
  [/\w*Cents\b\s*\/(?!\/)/, "dividing cents: use percentOf() or toDecimalNumber()"],
  [/\w*Cents\b\s*\*\s*\d*\.\d/, "multiplying cents by a fraction: use percentOf()"],
  [/\b(price|amount|total|discount)\w*\s*\*\s*100\b/i, "dollars * 100: use parseMoney()"],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "generated") return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

describe("money lint", () => {
  it("finds no float arithmetic on money outside src/lib/money.ts", () => {
    const findings: string[] = [];
    for (const file of sourceFiles(ROOT)) {
      const rel = relative(ROOT, file);
      if (ALLOWED.has(rel)) continue;
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (line.trim().startsWith("//") || line.trim().startsWith("*")) return;
          for (const [pattern, why] of FORBIDDEN) if (pattern.test(line)) findings.push(`src/${rel}:${i + 1}: ${why}`);
        });
    }
    expect(findings).toEqual([]);
  });

  it("would catch the original bug", () => {
    const original = "const total = order.totalCents * (1 - parseFloat(coupon.value) / 100);";
    expect(FORBIDDEN.some(([p]) => p.test(original))).toBe(true);
  });
});
