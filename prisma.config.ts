// Prisma CLI configuration (generate, migrate diff, db push). The app applies
// migrations itself at start (src/db/migrate.ts); this file is for authoring.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { defineConfig } from "prisma/config";
import { postgresCliAdapter, sqliteCliAdapter, unrefLongTimers } from "./prisma/cli-adapter.js";

unrefLongTimers();

const url = process.env.DATABASE_URL ?? "file:./data/shop.db";
// Even `migrate diff` opens the database: make sure its folder exists.
if (url.startsWith("file:")) mkdirSync(dirname(url.slice("file:".length)), { recursive: true });

// DATABASE_URL picks the provider, as in the app: postgres(ql):// or file:.
const postgres = /^postgres(ql)?:\/\//.test(url);

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: postgres ? "prisma/postgres" : "prisma/sqlite",
  adapter: async () => (postgres ? postgresCliAdapter(url) : sqliteCliAdapter(url)),
});
