import { z } from "zod";
import { ValidationError } from "../../errors.js";
import { MAX_ID } from "../../lib/validation.js";

/** Keyset pages, newest first (descending id). The cursor is opaque to clients. */
export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const CURSOR_PREFIX = "id:";

export function encodeCursor(id: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${id}`).toString("base64url");
}

/** The id a cursor names; one this API cannot have made (not an id, or past the id columns' range) is a VALIDATION_FAILED. */
export function decodeCursor(cursor: string): number {
  const decoded = Buffer.from(cursor, "base64url").toString("utf8");
  const id = Number(decoded.slice(CURSOR_PREFIX.length));
  if (!decoded.startsWith(CURSOR_PREFIX) || !Number.isSafeInteger(id) || id <= 0 || id > MAX_ID) {
    throw ValidationError.field("cursor", "is not a cursor returned by this API");
  }
  return id;
}

/** Prisma arguments for one page: one row more than asked tells whether another page exists. */
export function pageQuery(page: PageRequest) {
  return {
    where: page.cursor ? { id: { lt: decodeCursor(page.cursor) } } : {},
    orderBy: { id: "desc" as const },
    take: page.limit + 1,
  };
}

export function toPage<T extends { id: number }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}

export const pageRequestSchema = (defaultLimit: number, maxLimit: number) =>
  z.object({
    limit: z.coerce
      .number({ error: "must be an integer" })
      .int("must be an integer")
      .min(1, "must be at least 1")
      .max(maxLimit, `must be at most ${maxLimit}`)
      .default(defaultLimit),
    cursor: z.string().max(200, "is not a cursor returned by this API").optional(),
  });
