import type { Config } from "../config.js";
import { userById } from "../services/users/index.js";
import { developmentSecret } from "./dev-secret.js";
import { ANONYMOUS, type Principal } from "./principal.js";
import { createTokenVerifier, InvalidTokenError, type TokenVerifier, type VerifiedClaims } from "./tokens.js";

export { ANONYMOUS, isAdmin, type Principal } from "./principal.js";
export { InvalidTokenError } from "./tokens.js";

export interface Authenticator {
  /** The principal an Authorization header names: anonymous without one; InvalidTokenError for one that cannot be trusted. */
  principalOf(authorization: string | undefined): Promise<Principal>;
  /**
   * The same, checked afresh (no remembered answer: a deleted user is noticed at
   * once), with the instant its token stops being accepted: for what lives
   * longer than a request (a WebSocket) and must re-check its rights.
   */
  session(authorization: string | undefined): Promise<{ principal: Principal; validUntil: number }>;
  /** The HS256 secret tokens are checked with, when this setup has one (to sign development tokens). */
  readonly signingSecret: string | undefined;
}

const MAX_HEADER = 8 * 1024;
/** Verified tokens are remembered this long (at most until they expire): a customer's user lookup is not paid per request. */
const REMEMBER_MS = 60_000;
const REMEMBERED = 10_000;
/** RFC 6750: `Bearer <b64token>`. */
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;

/** The keys this setup trusts: the identity provider's JWKS, the configured secret, or (development only) one made on first start. */
export function createAuthenticator(config: Config): Authenticator {
  const signingSecret = config.AUTH_JWKS_URL ? undefined : (config.AUTH_JWT_SECRET ?? developmentSecret(config.AUTH_SECRET_FILE));
  const verify: TokenVerifier = createTokenVerifier(config, signingSecret);
  const remembered = new Map<string, { principal: Principal; until: number }>();
  const tokenOf = (authorization: string) => {
    const token = authorization.length <= MAX_HEADER ? BEARER.exec(authorization)?.[1] : undefined;
    if (!token) throw new InvalidTokenError("the Authorization header is not `Bearer <token>`");
    return token;
  };
  return {
    signingSecret,
    async session(authorization) {
      if (authorization === undefined) return { principal: ANONYMOUS, validUntil: Infinity };
      const claims = await verify(tokenOf(authorization));
      // jose accepts a token up to the clock tolerance past its exp; so does a session.
      return { principal: await principalFor(claims), validUntil: claims.expiresAt + config.AUTH_CLOCK_TOLERANCE_S * 1000 };
    },
    async principalOf(authorization) {
      if (authorization === undefined) return ANONYMOUS;
      const token = tokenOf(authorization);
      const known = remembered.get(token);
      if (known && known.until > Date.now()) return known.principal;
      const claims = await verify(token);
      const principal = await principalFor(claims);
      if (remembered.size >= REMEMBERED) remembered.delete(remembered.keys().next().value!);
      remembered.set(token, { principal, until: Math.min(claims.expiresAt, Date.now() + REMEMBER_MS) });
      return principal;
    },
  };
}

async function principalFor(claims: VerifiedClaims): Promise<Principal> {
  if (claims.roles.includes("admin")) return { kind: "admin", sub: claims.sub, roles: claims.roles };
  // A customer's sub is their user id; a token for nobody is no token at all.
  const userId = /^\d{1,10}$/.test(claims.sub) ? Number(claims.sub) : NaN;
  if (!(userId > 0 && userId <= 2_147_483_647) || !(await userById(userId))) throw new InvalidTokenError("its subject is not a user");
  return { kind: "customer", sub: claims.sub, userId };
}
