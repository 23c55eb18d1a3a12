import type { GraphiQLOptions } from "graphql-yoga";
import type { Authenticator } from "../auth/index.js";
import { signToken } from "../auth/sign.js";
import type { Config } from "../config.js";
import { mayEmbedDevelopmentToken } from "../edge/pages.js";
import { findUserIdByEmail } from "../services/users/index.js";

/** The seeded customer GraphiQL signs in as in development (`npm run token -- alice@example.com` gives the same). */
export const DEMO_CUSTOMER_EMAIL = "alice@example.com";

const DEFAULT_QUERY = `# Welcome to the shop gateway. In development the Headers tab below holds a
# token for the demo customer, ${DEMO_CUSTOMER_EMAIL}; \`npm run token -- --admin\`
# prints an admin's (docs/auth.md). Try:
query ShopOverview {
  products(first: 5) {
    edges { node { id name priceCents priceFormatted stockQuantity } }
    pageInfo { hasNextPage endCursor }
  }
  me {
    kind
    user {
      email
      orders(first: 5) {
        edges { node { id status totalCents items { quantity product { name } } } }
      }
    }
  }
}
`;

/**
 * A fresh token for the demo customer, for the pages a developer explores the
 * API in (GraphiQL, the REST reference). Only a development server that signs
 * its own tokens (the secret under ./data, or AUTH_JWT_SECRET) mints one;
 * production, tests and an identity provider's keys never do.
 */
export function developmentToken(config: Config, authenticator: Authenticator): (() => Promise<string | undefined>) | undefined {
  const secret = config.NODE_ENV === "development" ? authenticator.signingSecret : undefined;
  if (!secret) return undefined;
  return async () => {
    const userId = await findUserIdByEmail(DEMO_CUSTOMER_EMAIL);
    return userId === undefined ? undefined : signToken(secret, { sub: String(userId), issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE }, "8h");
  };
}

/**
 * GraphiQL's options, per page load: in development, asked for on loopback,
 * its headers tab holds the demo customer's token (edge/pages.ts). The page
 * carries them as JSON data, never in a script another site could load.
 */
export function graphiqlOptions(config: Config, authenticator: Authenticator): false | ((request: Pick<Request, "headers">) => Promise<GraphiQLOptions>) {
  if (!config.GRAPHIQL_ENABLED) return false;
  const base: GraphiQLOptions = { title: "Shop gateway", defaultQuery: DEFAULT_QUERY };
  const mint = developmentToken(config, authenticator);
  if (!mint) return async () => base;
  return async (request) => {
    if (!mayEmbedDevelopmentToken(config.HOST, request.headers.get("host"))) return base;
    const token = await mint();
    if (token === undefined) return base;
    // headerEditorEnabled, and not persisted: a stale token kept in the browser would outlive a restart's new secret.
    return { ...base, headers: JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2), shouldPersistHeaders: false, defaultEditorToolsVisibility: "headers" };
  };
}
