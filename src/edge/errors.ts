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

/**
 * Failures of the HTTP layer (body-parser, the router), with the codes both
 * doors use. Each is the client's error: never a 500.
 */
function bodyError(error: unknown): DomainError | undefined {
  const { type, status } = (error ?? {}) as { type?: unknown; status?: unknown };
  if (type === "entity.parse.failed") return new DomainError("VALIDATION_FAILED", "The request body is not valid JSON");
  if (type === "entity.too.large") return new DomainError("PAYLOAD_TOO_LARGE", "The request body is too large");
  if (type === "charset.unsupported") return new DomainError("UNSUPPORTED_MEDIA_TYPE", "The request body must be UTF-8 JSON");
  if (type === "encoding.unsupported") {
    return new DomainError("UNSUPPORTED_MEDIA_TYPE", "The request body's Content-Encoding is not supported (use identity, gzip, deflate or br)");
  }
  if (error instanceof URIError && status === 400) return new DomainError("VALIDATION_FAILED", "The path is not validly percent-encoded");
  // Aborted, shorter or longer than its Content-Length, or not the gzip it claims to be: the body could not be read.
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new DomainError("VALIDATION_FAILED", "The request body could not be read");
  }
  return undefined;
}
