/**
 * Prints a development token: `npm run token -- alice@example.com` for a
 * seeded customer, `npm run token -- --admin` for an admin. Signed with the
 * server's HS256 secret (AUTH_JWT_SECRET, or the one a development server
 * made under ./data); with AUTH_JWKS_URL, tokens come from the identity provider.
 */
import { createAuthenticator } from "../auth/index.js";
import { signToken } from "../auth/sign.js";
import { ConfigError, loadConfig } from "../config.js";
import { closeDatabase, openDatabase } from "../db/index.js";
import { findUserIdByEmail } from "../services/users/index.js";

async function main(args: string[]): Promise<string> {
  const config = loadConfig();
  const { signingSecret } = createAuthenticator(config);
  if (!signingSecret) throw new ConfigError("AUTH_JWKS_URL is set: get tokens from your identity provider (docs/auth.md)");
  const claims = { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE };
  if (args.includes("--admin")) return signToken(signingSecret, { ...claims, sub: "admin@shop.local", roles: ["admin"] }, "8h");
  const email = args.find((a) => !a.startsWith("--"));
  if (!email) throw new ConfigError("usage: npm run token -- <email of a user> | --admin");
  openDatabase(config);
  try {
    const userId = await findUserIdByEmail(email);
    if (userId === undefined) throw new ConfigError(`no user with e-mail ${email} (the demo users are alice@, bob@ and charlie@example.com)`);
    return signToken(signingSecret, { ...claims, sub: String(userId) }, "8h");
  } finally {
    await closeDatabase();
  }
}

main(process.argv.slice(2)).then(
  (token) => process.stdout.write(`${token}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
