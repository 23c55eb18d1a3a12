import SchemaBuilder from "@pothos/core";
import { GraphQLError } from "graphql";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { Upload, type FileUpload } from "graphql-upload-minimal";
import type PrismaTypes from "../generated/pothos-types.js";
import { getDatamodel } from "../generated/pothos-types.js";
import { db } from "../db/index.js";
import type { Loaders } from "./loaders.js";
import type { Principal } from "../auth/principal.js";
import { requireAdmin, requireSignedIn } from "../services/common/index.js";
import type { Logger } from "../lib/logger.js";

export interface GraphQLContext {
  requestId: string;
  /** Who is calling (read from the bearer token at the edge); services decide what it may do. */
  principal: Principal;
  loaders: Loaders;
  /** The request's logger: carries its requestId into what services log. */
  logger: Logger;
}

export const MAX_CONNECTION_SIZE = 100;

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  PrismaTypes: PrismaTypes;
  /** What a root field declares (docs/auth.md): `signedIn`, or `admin` with the action a refusal names. */
  AuthScopes: { signedIn: boolean; admin: string };
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Upload: { Input: Promise<FileUpload>; Output: never };
    ID: { Input: string; Output: string | number };
  };
}>({
  defaultFieldNullability: false,
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  // Declared per field; decided by the services' own rule (services/common/access.ts),
  // whose 401/403 errors pass through as thrown. The services check again, so
  // a field declared too loosely still refuses (tests/access.test.ts).
  scopeAuth: {
    authScopes: (ctx) => ({
      signedIn: () => (requireSignedIn(ctx.principal), true),
      admin: (action: string) => (requireAdmin(ctx.principal, action), true),
    }),
  },
  prisma: {
    client: () => db(),
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === "production" ? null : "error",
    maxConnectionSize: MAX_CONNECTION_SIZE,
    defaultConnectionSize: 20,
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    // The types and fields every connection shares (docs/api.md, "Connections"); each connection describes its own types.
    pageInfoTypeOptions: { description: "Where a connection's page sits: the cursors at its ends and whether more items lie before or after it." },
    hasNextPageFieldOptions: { description: "Whether more items follow this page (when paging backward with `before`, always true)." },
    hasPreviousPageFieldOptions: { description: "Whether items precede this page (when paging forward with `after`, always true)." },
    startCursorFieldOptions: { description: "Cursor of the page's first edge, to send as `before`; do not rely on it when `edges` is empty." },
    endCursorFieldOptions: { description: "Cursor of the page's last edge, to send as `after`; do not rely on it when `edges` is empty." },
    edgesFieldOptions: { description: "The page's items with their cursors, in the connection's order." },
    pageInfoFieldOptions: { description: "Cursors and whether more pages exist." },
    cursorFieldOptions: { description: "Opaque cursor of this item: send it as `after` or `before`, never parse it." },
    nodeFieldOptions: { description: "The item." },
    firstArgOptions: {
      description: "How many items to return going forward, at most 100 (a literal over 100 is VALIDATION_FAILED, a variable is cut to 100). Every connection needs `first` or `last` (else VALIDATION_FAILED).",
    },
    lastArgOptions: {
      description: "How many items to return going backward, from `before` or from the end, at most 100. Every connection needs `first` or `last` (else VALIDATION_FAILED).",
    },
    afterArgOptions: { description: "Returns the items after this cursor (an edge's `cursor` or `pageInfo.endCursor`); a string this API did not issue is VALIDATION_FAILED." },
    beforeArgOptions: { description: "Returns the items before this cursor (an edge's `cursor` or `pageInfo.startCursor`); a string this API did not issue is VALIDATION_FAILED." },
  },
});

/** A scalar that does not parse is the client's error: a GraphQLError keeps its code through error masking. */
const badInput = (message: string) => new GraphQLError(message, { extensions: { code: "VALIDATION_FAILED" } });

builder.scalarType("DateTime", {
  description: "An instant as an ISO 8601 string, sent in UTC with milliseconds (2026-01-31T09:30:00.000Z). Inputs should carry Z or an offset; one that does not parse is VALIDATION_FAILED.",
  serialize: (value) => value.toISOString(),
  parseValue: (value) => {
    const date = typeof value === "string" ? new Date(value) : new Date(NaN);
    if (Number.isNaN(date.getTime())) throw badInput("DateTime must be an ISO 8601 string");
    return date;
  },
});

builder.scalarType("Upload", {
  description: "A file sent per the GraphQL multipart request spec, input only. The request needs a CSRF preflight header (such as apollo-require-preflight) or it is CSRF_PREFLIGHT_REQUIRED.",
  serialize: () => {
    throw new TypeError("Upload is an input type");
  },
  parseValue: (value) => {
    if (value instanceof Upload) return value.promise;
    throw badInput("Upload must be a file sent per the GraphQL multipart request spec");
  },
});

// Root fields open with who may call them: "Anyone", "Signed in" or "Admins only".
builder.queryType({
  description: "Reads: a signed-in field answers UNAUTHENTICATED to an anonymous caller, an admins-only one also FORBIDDEN to a customer. Errors carry their code in extensions.code.",
});
builder.mutationType({
  description: "Writes: a signed-in field answers UNAUTHENTICATED to an anonymous caller, an admins-only one also FORBIDDEN to a customer. Errors carry their code in extensions.code, and retryable ones extensions.retryAfterSeconds.",
});
