import { mapDatabaseError } from "../db/errors.js";
import { DomainError } from "../errors.js";

/**
 * What both doors answer for a failure: the DomainError itself, a database
 * failure a client can retry (503), or a body the edge could not read. Anything
 * else is unknown: the doors log it and answer INTERNAL without detail.
 */
export function toDomainError(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return error;
  return mapDatabaseError(error) ?? bodyError(error);
}

/** body-parser's failures, with the codes both doors use. */
function bodyError(error: unknown): DomainError | undefined {
  const { type, status } = (error ?? {}) as { type?: unknown; status?: unknown };
  if (type === "entity.parse.failed") return new DomainError("VALIDATION_FAILED", "The request body is not valid JSON");
  if (type === "entity.too.large") return new DomainError("PAYLOAD_TOO_LARGE", "The request body is too large");
  if (type === "encoding.unsupported" || type === "charset.unsupported") {
    return new DomainError("UNSUPPORTED_MEDIA_TYPE", "The request body must be UTF-8 JSON");
  }
  // Aborted, or shorter or longer than its Content-Length: the client's body could not be read.
  if (typeof type === "string" && typeof status === "number" && status >= 400 && status < 500) {
    return new DomainError("VALIDATION_FAILED", "The request body could not be read");
  }
  return undefined;
}
