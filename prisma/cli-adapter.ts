/**
 * Work-arounds for bugs of Prisma 6.19's JavaScript schema engine and its driver
 * adapters, used by the Prisma CLI only (prisma.config.ts), never by the app.
 * Each is confirmed on this stack (docs/stack.md); tests/prisma-cli.test.ts shows
 * whether an upgrade still needs them.
 */
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

/**
 * Bug 1: the engine arms 10 s and 60 s timers it never clears, so CLI commands
 * linger after their work is done. Long timers stop holding the process open.
 */
export function unrefLongTimers(thresholdMs = 5_000): void {
  const original = globalThis.setTimeout;
  const patched = ((handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = original(() => handler(...args), ms);
    if ((ms ?? 0) >= thresholdMs) timer.unref();
    return timer;
  }) as typeof setTimeout;
  globalThis.setTimeout = Object.assign(patched, original);
}

/**
 * Bug 2: the engine sends whole migration scripts through an argument-less
 * executeRaw, and better-sqlite3 refuses multi-statement SQL (P3006
 * "External error id#0"). Such calls go to executeScript instead.
 */
export function scriptAwareSqlite(adapter: SqlDriverAdapter): SqlDriverAdapter {
  return new Proxy(adapter, {
    get(target, prop, receiver) {
      if (prop === "executeRaw") {
        return async (query: { sql: string; args: unknown[] }) => {
          if (query.args.length === 0) {
            await target.executeScript(query.sql);
            return 0;
          }
          return target.executeRaw(query as never);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export function sqliteCliAdapter(url: string): SqlMigrationAwareDriverAdapterFactory {
  const factory = new PrismaBetterSQLite3({ url });
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => scriptAwareSqlite(await factory.connect()),
    connectToShadowDb: async () => scriptAwareSqlite(await factory.connectToShadowDb()),
  };
}

/**
 * PostgreSQL for the CLI: enough for authoring (`migrate diff --from-empty` and
 * `--from-migrations ... --to-schema-datamodel` need the engine's catalog
 * queries, which hit STACK.md's bugs 3 and 4 and are not worked around yet).
 * tests/postgres-migrations.test.ts checks drift by comparing catalogs instead.
 */
export async function postgresCliAdapter(url: string): Promise<SqlMigrationAwareDriverAdapterFactory> {
  const { PrismaPg } = await import("@prisma/adapter-pg");
  return new PrismaPg({ connectionString: url, allowExitOnIdle: true });
}
