import { Prisma } from "../generated/sqlite/client.js";
import { TransientError, type DomainError } from "../errors.js";

/** A unique constraint refused a write: through Prisma (P2002), better-sqlite3 or pg (23505). */
export function isUniqueViolation(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) return error.code === "P2002";
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505";
}

/** PostgreSQL errors a retry can get past: serialization failure, deadlock, lock or statement timeout. */
const RETRYABLE_POSTGRES = new Set(["40001", "40P01", "55P03", "57014"]);
/** PostgreSQL going away or not back yet: shutdown, crash, starting up, a broken connection. */
const POSTGRES_DOWN = new Set(["57P01", "57P02", "57P03", "08000", "08001", "08003", "08006"]);
/** SQLite that cannot write: the disk is full, the file or its directory is read-only, an I/O error. */
const SQLITE_CANNOT_WRITE = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN)/;

/**
 * Database failures a client can retry (busy database, a transaction that could
 * not start in time, a pool with no free connection) become 503s; anything else
 * stays unknown and is masked by the edges.
 */
export function mapDatabaseError(error: unknown): DomainError | undefined {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    // P2024 pool timeout, P2028 transaction could not start or expired, P2034 write conflict
    if (["P2024", "P2028", "P2034"].includes(error.code)) {
      return new TransientError("DATABASE_UNAVAILABLE", "The database is busy; retry shortly", 1);
    }
    if (error.code === "P1001" || error.code === "P1017") {
      return new TransientError("DATABASE_UNAVAILABLE", "The database is unreachable; retry shortly", 2);
    }
  }
  if (error instanceof Prisma.PrismaClientInitializationError) {
    return new TransientError("DATABASE_UNAVAILABLE", "The database is unreachable; retry shortly", 2);
  }
  const code = String(((error as { code?: unknown } | null)?.code ?? (error as { cause?: { code?: unknown } } | null)?.cause?.code) ?? "");
  if (RETRYABLE_POSTGRES.has(code)) {
    return new TransientError("DATABASE_UNAVAILABLE", "The database is busy; retry shortly", 1);
  }
  const message = error instanceof Error ? error.message : "";
  if (POSTGRES_DOWN.has(code) || code === "ECONNREFUSED" || /Connection terminated|terminating connection|ECONNREFUSED|the database system is (starting up|shutting down)/i.test(message)) {
    return new TransientError("DATABASE_UNAVAILABLE", "The database is unreachable; retry shortly", 2);
  }
  if (SQLITE_CANNOT_WRITE.test(code) || /database or disk is full|readonly database|disk I\/O error/i.test(message)) {
    return new TransientError("DATABASE_UNAVAILABLE", "The database cannot write right now (disk full or read-only); retry later", 5);
  }
  // The last one is pg's pool when no connection frees up within DB_POOL_ACQUIRE_TIMEOUT_MS.
  if (/SQLITE_BUSY|database is locked|SocketTimeout|timeout exceeded when trying to connect/i.test(message)) {
    return new TransientError("DATABASE_UNAVAILABLE", "The database is busy; retry shortly", 1);
  }
  return undefined;
}
