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
import { requireAdmin, requireSignedIn } from "../services/access.js";
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
  // Declared per field; decided by the services' own rule (services/access.ts),
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
  },
});

/** A scalar that does not parse is the client's error: a GraphQLError keeps its code through error masking. */
const badInput = (message: string) => new GraphQLError(message, { extensions: { code: "VALIDATION_FAILED" } });

builder.scalarType("DateTime", {
  description: "An instant, as an ISO 8601 string in UTC",
  serialize: (value) => value.toISOString(),
  parseValue: (value) => {
    const date = typeof value === "string" ? new Date(value) : new Date(NaN);
    if (Number.isNaN(date.getTime())) throw badInput("DateTime must be an ISO 8601 string");
    return date;
  },
});

builder.scalarType("Upload", {
  description: "A file sent per the GraphQL multipart request spec",
  serialize: () => {
    throw new TypeError("Upload is an input type");
  },
  parseValue: (value) => {
    if (value instanceof Upload) return value.promise;
    throw badInput("Upload must be a file sent per the GraphQL multipart request spec");
  },
});

builder.queryType({});
builder.mutationType({});
