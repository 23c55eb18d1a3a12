import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { createGraphQLError, type GraphQLParams, type Plugin } from "graphql-yoga";
import type { Config } from "../config.js";
import { ByteLru } from "../lib/byte-lru.js";
import { sha256 } from "./trusted-documents.js";

/**
 * What a GraphQL request's parameters become before anything is parsed, on
 * every transport (HTTP, SSE, WebSocket): a persisted query's hash replaced by
 * its document, or a refusal. `register` is to be called once the document
 * has passed every operation limit: only then is a new document remembered.
 */
export interface PersistedOperations {
  resolve(params: GraphQLParams, clientAddress: string | undefined): Promise<{ params: GraphQLParams; register?: () => void }>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const TTL_MS = 24 * 3_600_000;

export function persistedOperations(config: Config, trusted: ReadonlyMap<string, string> | undefined): PersistedOperations | undefined {
  if (trusted) return trustedDocuments(trusted);
  return config.GRAPHQL_APQ ? automaticPersistedQueries(config) : undefined;
}

/**
 * Automatic persisted queries, Apollo's protocol (what `PersistedQueryLink`
 * speaks): a client first sends only `extensions.persistedQuery.sha256Hash`;
 * on `PersistedQueryNotFound` it sends the query with its hash once, and the
 * hash alone from then on. Anyone may register, so registration is bounded:
 * a document is kept only after it passed every limit, only up to
 * APQ_MAX_DOCUMENT_BYTES (a larger one runs, unremembered), within a store of
 * APQ_MAX_BYTES and APQ_MAX_ENTRIES (least recently used out first), and at
 * most APQ_REGISTRATIONS_PER_MIN new ones per client address. Per process:
 * another instance's miss costs the client one more round trip.
 */
function automaticPersistedQueries(config: Config): PersistedOperations {
  const store = new ByteLru<string>({ maxBytes: config.APQ_MAX_BYTES, maxEntries: config.APQ_MAX_ENTRIES, ttlMs: TTL_MS }, (_hash, query) => Buffer.byteLength(query));
  const registrations = new RateLimiterMemory({ points: config.APQ_REGISTRATIONS_PER_MIN, duration: 60 });
  return {
    async resolve(params, clientAddress) {
      const persisted = persistedQueryOf(params.extensions);
      if (persisted === undefined || persisted === null) return { params };
      const hash = persisted.sha256Hash;
      if (persisted.version !== 1 || typeof hash !== "string" || !SHA256_HEX.test(hash)) {
        throw refusal("Unsupported persistedQuery: version 1 with a sha256Hash of 64 hex digits", "VALIDATION_FAILED", 400);
      }
      if (typeof params.query !== "string") {
        const query = store.get(hash);
        if (query === undefined) throw createGraphQLError("PersistedQueryNotFound", { extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } });
        return { params: { ...params, query } };
      }
      if (sha256(params.query) !== hash) throw refusal("PersistedQueryMismatch: the sha256Hash is not the query's", "PERSISTED_QUERY_MISMATCH", 400);
      if (store.get(hash) !== undefined || Buffer.byteLength(params.query) > config.APQ_MAX_DOCUMENT_BYTES) return { params };
      if (config.APQ_REGISTRATIONS_PER_MIN > 0) await consumeRegistration(registrations, clientAddress);
      const query = params.query;
      return { params, register: () => store.set(hash, query) };
    },
  };
}

async function consumeRegistration(limiter: RateLimiterMemory, clientAddress: string | undefined): Promise<void> {
  try {
    await limiter.consume(clientAddress ?? "unknown");
  } catch (error) {
    if (!(error instanceof RateLimiterRes)) throw error;
    const retryAfter = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
    throw createGraphQLError(`Too many persisted-query registrations from this address: at most ${limiter.points} a minute; retry in ${retryAfter} s`, {
      extensions: { code: "RATE_LIMITED", http: { status: 429, headers: { "Retry-After": String(retryAfter) } } },
    });
  }
}

/**
 * Trusted documents (GRAPHQL_TRUSTED_DOCUMENTS): only the manifest's
 * operations run, asked for by hash (Apollo's persisted-query extension) or
 * sent in full; anything else is 400 PERSISTED_QUERY_NOT_ALLOWED before it is
 * parsed. Nothing is registered at run time.
 */
function trustedDocuments(trusted: ReadonlyMap<string, string>): PersistedOperations {
  return {
    async resolve(params) {
      const asked = persistedQueryOf(params.extensions)?.sha256Hash;
      const hash = typeof asked === "string" ? asked : typeof params.query === "string" ? sha256(params.query) : undefined;
      const query = hash === undefined ? undefined : trusted.get(hash);
      if (query === undefined) throw refusal("PersistedQueryNotAllowed: this gateway runs only its trusted documents", "PERSISTED_QUERY_NOT_ALLOWED", 400);
      return { params: { ...params, query } };
    },
  };
}

/**
 * Yoga's side of it, over HTTP and SSE: parameters resolved before parsing; a
 * new document remembered when its operation starts executing, that is once
 * parsing, validation and every limit let it through.
 */
export function usePersistedOperations(persisted: PersistedOperations): Plugin {
  const pending = new WeakMap<Request, () => void>();
  const registerFor = (context: unknown) => {
    const request = (context as { request?: Request }).request;
    const register = request && pending.get(request);
    if (register) {
      pending.delete(request);
      register();
    }
  };
  return {
    async onParams({ params, setParams, request, context }) {
      const address = (context as { req?: { socket?: { remoteAddress?: string } } }).req?.socket?.remoteAddress;
      const resolved = await persisted.resolve(params, address);
      if (resolved.params !== params) setParams(resolved.params);
      if (resolved.register) pending.set(request, resolved.register);
    },
    onExecute: ({ args }) => registerFor(args.contextValue),
    onSubscribe: ({ args }) => registerFor(args.contextValue),
  };
}

const persistedQueryOf = (extensions: unknown) => (extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)?.persistedQuery;
const refusal = (message: string, code: string, status: number) => createGraphQLError(message, { extensions: { code, http: { status } } });
