import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The shape docs/architecture.md describes, kept by a test: one way to the
 * database, the engine's differences inside src/db/, no reliance on Express's
 * private fields, and a public face for every service folder. (Import cycles
 * are madge's, in `npm test`.)
 */
const SRC = join(import.meta.dirname, "..", "src");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "generated" ? [] : sources(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

const files = sources(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, "utf8") }));
const outsideDb = files.filter((f) => !f.path.startsWith("db/"));
const offenders = (list: typeof files, pattern: RegExp) => list.filter((f) => pattern.test(f.text)).map((f) => f.path);

// The ORM's model accessors (`db().bulkUploadJob`, `tx.user`), from the schema's models: a write is one of
// them followed by a write method, so `hash.update(` or `Set.delete(` is not one.
const MODELS = join(import.meta.dirname, "..", "prisma", "models");
const accessors = readdirSync(MODELS).flatMap((name) =>
  [...readFileSync(join(MODELS, name), "utf8").matchAll(/^model (\w+)/gm)].map(([, model]) => model!.charAt(0).toLowerCase() + model!.slice(1)),
);
const ormWrite = new RegExp(
  `\\.\\s*(${accessors.join("|")})\\s*\\.\\s*(create|createMany|createManyAndReturn|update|updateMany|updateManyAndReturn|upsert|delete|deleteMany)\\(`,
);

describe("the architecture", () => {
  it("keeps the engines' drivers and adapters inside src/db/ (the legacy importer reads an old SQLite file, not the database)", () => {
    const driverImport = /from "(pg|better-sqlite3|@prisma\/adapter-[a-z0-9-]+)"/;
    expect(offenders(outsideDb, driverImport)).toEqual(["cli/import-legacy-coupons.ts"]);
  });

  it("lets no service ask which engine runs", () => {
    const engineQuestion = /postgresPool|databaseProvider\(|\.provider\b.*(sqlite|postgres)|db\/(client|driver|engine-[a-z]+|sql-[a-z]+|reads)\.js/;
    expect(offenders(outsideDb, engineQuestion)).toEqual([]);
  });

  it("writes only through the driver transaction: the ORM's interactive transaction only seeds the demo data, before the server listens", () => {
    expect(offenders(files, /\$transaction\(/)).toEqual(["db/seed.ts"]);
  });

  it("makes no ORM write (create, update, upsert, delete on a model) outside the demo seed: every write is a driver statement", () => {
    expect(accessors).toEqual(expect.arrayContaining(["bulkUploadJob", "outboxEvent", "coupon", "simulatedShippingLabel"]));
    for (const write of ["db().bulkUploadJob.updateMany({", "tx.coupon.createMany({", "db()\n    .order\n    .update({"]) expect(write).toMatch(ormWrite);
    for (const other of ["hash.update(chunk)", "perAddress.delete(address)", "db().order.findMany({", "running.delete(id)"]) expect(other).not.toMatch(ormWrite);
    expect(offenders(files, ormWrite)).toEqual(["db/seed.ts"]);
  });

  it("reads no private field of Express (router.stack, layers)", () => {
    expect(offenders(files, /\.stack\b(?!\s*\?\?\s*"")|\bRouteLayer\b|_router\b/).filter((p) => !p.startsWith("lib/logger"))).toEqual([]);
  });

  it("gives every service folder its public face, index.ts", () => {
    const folders = readdirSync(join(SRC, "services")).filter((name) => statSync(join(SRC, "services", name)).isDirectory());
    expect(folders.filter((name) => !existsSync(join(SRC, "services", name, "index.ts")))).toEqual([]);
    const loose = readdirSync(join(SRC, "services")).filter((name) => name.endsWith(".ts") && name !== "index.ts");
    expect(loose).toEqual([]);
  });
});
