import { InvalidTokenError, type Authenticator } from "./index.js";

/** setTimeout's largest delay; a later expiry is left to the re-checks. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Keeps what a bearer token opened (a WebSocket, an event stream) no longer
 * than the token's rights: `end` is called at the token's expiry (`validUntil`,
 * from `Authenticator.session`), or at the first re-check, every `recheckMs`,
 * that finds it no longer valid (its user deleted, its key revoked). A
 * database briefly away is not a revoked right: the next re-check decides.
 * Returns the function that stops watching (call it when the thing closes).
 */
export function watchSession(
  authenticator: Authenticator,
  authorization: string,
  validUntil: number,
  recheckMs: number,
  end: (reason: string) => void,
): () => void {
  const expiry = setTimeout(() => end("Token expired"), Math.min(MAX_TIMER_MS, Math.max(0, validUntil - Date.now())));
  const recheck = setInterval(async () => {
    try {
      const { validUntil: until } = await authenticator.session(authorization);
      if (until <= Date.now()) end("Token expired");
    } catch (error) {
      if (error instanceof InvalidTokenError) end("Token no longer valid");
    }
  }, recheckMs);
  expiry.unref();
  recheck.unref();
  return () => {
    clearTimeout(expiry);
    clearInterval(recheck);
  };
}
