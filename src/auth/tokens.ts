import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { Config } from "../config.js";

/** A token that was sent but cannot be trusted: 401 with `WWW-Authenticate: Bearer error="invalid_token"`. */
export class InvalidTokenError extends Error {
  constructor(readonly reason: string) {
    super(`invalid token: ${reason}`);
    this.name = "InvalidTokenError";
  }
}

export interface VerifiedClaims {
  sub: string;
  roles: string[];
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

export type TokenVerifier = (token: string) => Promise<VerifiedClaims>;

/**
 * Verifies a bearer JWT with jose: signature, `exp` and `nbf` (with
 * AUTH_CLOCK_TOLERANCE_S of skew), and `iss` / `aud` when configured. Keys come
 * from the identity provider's JWKS (RS256/ES256; jose caches the set and
 * fetches it again for a `kid` it does not know, which is how rotation works)
 * or from an HS256 shared secret (development and tests).
 */
export function createTokenVerifier(
  config: Pick<Config, "AUTH_JWKS_URL" | "AUTH_ISSUER" | "AUTH_AUDIENCE" | "AUTH_CLOCK_TOLERANCE_S" | "AUTH_JWKS_COOLDOWN_MS">,
  secret?: string,
): TokenVerifier {
  const options = {
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    clockTolerance: config.AUTH_CLOCK_TOLERANCE_S,
    requiredClaims: ["sub", "exp"],
  };
  let verify: (token: string) => Promise<{ payload: JWTPayload }>;
  if (config.AUTH_JWKS_URL) {
    // An unknown kid refetches the set at most once per cooldown: a flood of forged kids cannot hammer the provider.
    const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(config.AUTH_JWKS_URL), {
      timeoutDuration: 2_000,
      cooldownDuration: config.AUTH_JWKS_COOLDOWN_MS,
    });
    verify = (token) => jwtVerify(token, jwks, { ...options, algorithms: ["RS256", "ES256"] });
  } else if (secret) {
    const key = new TextEncoder().encode(secret);
    verify = (token) => jwtVerify(token, key, { ...options, algorithms: ["HS256"] });
  } else {
    throw new Error("no token keys: set AUTH_JWKS_URL or AUTH_JWT_SECRET");
  }
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await verify(token));
    } catch (error) {
      throw new InvalidTokenError(reasonOf(error));
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === "string") : [];
    return { sub: payload.sub!, roles, expiresAt: payload.exp! * 1000 };
  };
}

function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "expired";
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim} is not acceptable`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return "bad signature";
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return "algorithm not allowed";
  if (error instanceof errors.JWKSNoMatchingKey) return "no key for its kid";
  if (error instanceof errors.JWKSTimeout) return "the key set did not answer in time";
  return "malformed";
}
