import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allColumns, sqliteTimestamp, sqliteTimeMs, toDate } from "../src/db/rows.js";

/** Decoding stored rows (db/rows.ts): SQLite's timestamp text is read by hand, and must agree with Date's own parser. */
describe("stored timestamps", () => {
  it("reads every instant of years 0001-9999 as Date.parse does", () => {
    const instants = fc.date({ min: new Date("0001-01-01T00:00:00.000Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true });
    fc.assert(
      fc.property(instants, (date) => {
        const stored = sqliteTimestamp(date);
        expect(sqliteTimeMs(stored)).toBe(Date.parse(stored));
        expect(toDate(stored).getTime()).toBe(date.getTime());
      }),
      { numRuns: 2_000 },
    );
  });

  it("leaves text of any other shape to Date.parse, impossible dates included", () => {
    for (const text of ["2026-02-30T10:00:00.000+00:00", "2026-13-01T10:00:00.000+00:00", "2026-12-03T24:00:00.000+00:00", "2026-12-03T10:00:00.000+02:00", "2026-12-03 10:00:00", "2026-12-03T1x:00:00.000+00:00"]) {
      expect(sqliteTimeMs(text)).toBeUndefined();
    }
    expect(toDate("2026-12-03T10:00:00.000+02:00").toISOString()).toBe("2026-12-03T08:00:00.000Z");
    expect(toDate("2024-02-29T23:59:59.999+00:00").toISOString()).toBe("2024-02-29T23:59:59.999Z");
  });

  it("decodes a row's DateTime and Boolean columns and leaves the rest", () => {
    const row = allColumns("Coupon").decode({ id: 1, code: "SAVE", active: 1, expiresAt: "2026-12-03T09:06:01.632+00:00", createdAt: "2026-01-01T00:00:00.000+00:00" }) as Record<string, unknown>;
    expect(row.active).toBe(true);
    expect(row.expiresAt).toEqual(new Date("2026-12-03T09:06:01.632Z"));
    expect(row.code).toBe("SAVE");
  });
});
