import { Prisma } from "../generated/sqlite/client.js";
import { TransientError, type DomainError } from "../errors.js";

export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
}

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
  const message = error instanceof Error ? error.message : "";
  if (/SQLITE_BUSY|database is locked|SocketTimeout/i.test(message)) {
    return new TransientError("DATABASE_UNAVAILABLE", "The database is busy; retry shortly", 1);
  }
  return undefined;
}
