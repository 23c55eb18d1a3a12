import { SignJWT } from "jose";

/** An HS256 token for a shared-secret setup (development, tests, `npm run token`); production tokens come from the identity provider. */
export function signToken(secret: string, claims: { sub: string; roles?: string[]; issuer?: string; audience?: string }, expiresIn = "1h"): Promise<string> {
  const jwt = new SignJWT(claims.roles ? { roles: claims.roles } : {}).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setSubject(claims.sub).setIssuedAt().setExpirationTime(expiresIn);
  if (claims.issuer) jwt.setIssuer(claims.issuer);
  if (claims.audience) jwt.setAudience(claims.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
