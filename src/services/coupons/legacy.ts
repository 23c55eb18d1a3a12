import { db, sqlTransaction } from "../../db/index.js";
import { MoneyFormatError } from "../../lib/money.js";
import { normalizeCouponCode, parsePercentToBps } from "./input.js";
import { insertPercentageCoupons } from "./sql.js";

const LEGACY_PERCENT = /^\d{1,3}(?:\.\d{1,2})?$/;

/**
 * The storefront's legacy free-form discount: a number, or a string "15" or
 * "15%", meaning 15 percent. Anything else ("15 percent", "abc", "-5", "0",
 * "150", "") is refused, never guessed. Returns basis points.
 */
export function parseLegacyDiscount(value: unknown): number {
  if (typeof value === "number") return parsePercentToBps(value);
  if (typeof value !== "string" || value.length > 32) throw new MoneyFormatError('must be a number or a string like "15" or "15%"');
  // Trimmed by hand, not by a pattern: no regular expression with adjacent unbounded quantifiers on client data.
  let text = value.trim();
  if (text.endsWith("%")) text = text.slice(0, -1).trimEnd();
  if (!LEGACY_PERCENT.test(text)) throw new MoneyFormatError('must be a number or a string like "15" or "15%"');
  return parsePercentToBps(text);
}

/** A coupon row as the old service stored it: the discount as free text ("15%", "10", ...). */
export interface LegacyCouponRow {
  code: string;
  discount: unknown;
  expiresAt?: string | number | Date | null;
  isActive?: boolean | number | null;
}

export interface LegacyImportReport {
  imported: { code: string; percentOffBps: number }[];
  skippedExisting: string[];
  /** Rows whose value means nothing certain: reported for a human, never guessed. */
  unparseable: { code: string; value: unknown; reason: string }[];
}

/**
 * Turns the old free-form coupon values into typed PERCENTAGE coupons: "15%"
 * and "15" both mean 15 percent (the value the old code meant but computed as
 * NaN). A dry run reports without writing.
 */
export async function importLegacyCoupons(rows: LegacyCouponRow[], options: { dryRun?: boolean } = {}): Promise<LegacyImportReport> {
  const report: LegacyImportReport = { imported: [], skippedExisting: [], unparseable: [] };
  const typed = [];
  for (const row of rows) {
    const code = normalizeCouponCode(String(row.code ?? ""));
    try {
      if (!/^[A-Z0-9_-]{1,64}$/.test(code)) throw new Error("the code is not usable");
      typed.push({ code, percentOffBps: parseLegacyDiscount(row.discount), row });
    } catch (error) {
      report.unparseable.push({ code, value: row.discount, reason: (error as Error).message });
    }
  }
  const existing = new Set(
    (await db().coupon.findMany({ where: { code: { in: typed.map((t) => t.code) } }, select: { code: true } })).map((c) => c.code),
  );
  const fresh = typed.filter((t) => !existing.has(t.code));
  report.skippedExisting = typed.filter((t) => existing.has(t.code)).map((t) => t.code);
  report.imported = fresh.map(({ code, percentOffBps }) => ({ code, percentOffBps }));
  if (!options.dryRun && fresh.length > 0) {
    const coupons = fresh.map(({ code, percentOffBps, row }) => ({
      code,
      percentOffBps,
      description: `Migrated from legacy value ${JSON.stringify(row.discount)}`,
      expiresAt: row.expiresAt ? new Date(row.expiresAt) : null,
      active: row.isActive === undefined || row.isActive === null ? true : Boolean(row.isActive),
    }));
    await sqlTransaction((sql) => insertPercentageCoupons(sql, coupons, new Date()));
  }
  return report;
}
