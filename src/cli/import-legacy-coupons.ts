/**
 * Imports the old service's coupons into this database, typed:
 *   npm run import:legacy-coupons -- path/to/old.db [--dry-run]
 * Reads the legacy SQLite file read-only (table Coupon: code, discount, and
 * optionally expiresAt, isActive), prints the report as JSON, and exits 2 when
 * some rows could not be parsed (they are listed, not guessed).
 */
import Database from "better-sqlite3";
import { loadConfig } from "../config.js";
import { closeDatabase, openDatabase } from "../db/index.js";
import { migrateSqlite } from "../db/migrate.js";
import { importLegacyCoupons, type LegacyCouponRow } from "../services/coupons/legacy.js";

export function readLegacyCoupons(file: string): LegacyCouponRow[] {
  const legacy = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const columns = new Set((legacy.prepare(`PRAGMA table_info("Coupon")`).all() as { name: string }[]).map((c) => c.name));
    if (!columns.has("code") || !columns.has("discount")) throw new Error(`${file}: table Coupon with columns code, discount not found`);
    const optional = ["expiresAt", "isActive"].filter((c) => columns.has(c)).map((c) => `, "${c}"`).join("");
    return legacy.prepare(`SELECT code, discount${optional} FROM "Coupon" ORDER BY code`).all() as LegacyCouponRow[];
  } finally {
    legacy.close();
  }
}

async function main(args: string[]): Promise<number> {
  const file = args.find((a) => !a.startsWith("--"));
  if (!file) {
    process.stderr.write("usage: import-legacy-coupons <legacy.db> [--dry-run]\n");
    return 64;
  }
  const config = loadConfig();
  migrateSqlite(config.DATABASE_URL);
  openDatabase(config);
  try {
    const report = await importLegacyCoupons(readLegacyCoupons(file), { dryRun: args.includes("--dry-run") });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.unparseable.length > 0 ? 2 : 0;
  } finally {
    await closeDatabase();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
