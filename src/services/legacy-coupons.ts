import { db } from "../db/index.js";
import { parseLegacyDiscount } from "./coupon-input.js";
import { normalizeCouponCode } from "./coupons.js";

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
 * NaN). Runs in one transaction; a dry run reports without writing.
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
    await db().coupon.createMany({
      data: fresh.map(({ code, percentOffBps, row }) => ({
        code,
        type: "PERCENTAGE" as const,
        percentOffBps,
        description: `Migrated from legacy value ${JSON.stringify(row.discount)}`,
        expiresAt: row.expiresAt ? new Date(row.expiresAt) : null,
        active: row.isActive === undefined || row.isActive === null ? true : Boolean(row.isActive),
      })),
    });
  }
  return report;
}
