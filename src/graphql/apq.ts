import { createGraphQLError, createLRUCache, type Plugin } from "graphql-yoga";
import { sha256 } from "./trusted-documents.js";

/**
 * Automatic persisted queries, Apollo's protocol (what `PersistedQueryLink`
 * speaks): a client first sends only `extensions.persistedQuery.sha256Hash`;
 * on `PersistedQueryNotFound` it sends the query with its hash once, and the
 * hash alone from then on. The same protocol as `@graphql-yoga/plugin-apq`,
 * whose peer range (`@graphql-tools/utils` 10) conflicts with graphql-yoga
 * 5.24's own (11-12) here. Hashes are remembered per process (an LRU cache):
 * another instance's miss only costs the client one more round trip.
 */
const MAX_ENTRIES = 5_000;
const TTL_MS = 24 * 3_600_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export function useAutomaticPersistedQueries(): Plugin {
  const store = createLRUCache<string>({ max: MAX_ENTRIES, ttl: TTL_MS });
  return {
    onParams({ params, setParams }) {
      const persisted = persistedQueryOf(params.extensions);
      if (persisted === undefined || persisted === null) return;
      const hash = persisted.sha256Hash;
      if (persisted.version !== 1 || typeof hash !== "string" || !SHA256_HEX.test(hash)) {
        throw createGraphQLError("Unsupported persistedQuery: version 1 with a sha256Hash of 64 hex digits", {
          extensions: { code: "VALIDATION_FAILED", http: { status: 400 } },
        });
      }
      if (params.query === undefined || params.query === null) {
        const query = store.get(hash);
        if (query === undefined) throw createGraphQLError("PersistedQueryNotFound", { extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } });
        setParams({ ...params, query });
        return;
      }
      if (sha256(params.query) !== hash) {
        throw createGraphQLError("PersistedQueryMismatch: the sha256Hash is not the query's", {
          extensions: { code: "PERSISTED_QUERY_MISMATCH", http: { status: 400 } },
        });
      }
      store.set(hash, params.query);
    },
  };
}

const persistedQueryOf = (extensions: unknown) => (extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)?.persistedQuery;

/**
 * Trusted documents (GRAPHQL_TRUSTED_DOCUMENTS): only the manifest's
 * operations run, asked for by hash (Apollo's persisted-query extension) or
 * sent in full; anything else is 400 PERSISTED_QUERY_NOT_ALLOWED before it is
 * parsed. Nothing is registered at run time.
 */
export function useTrustedDocuments(trusted: ReadonlyMap<string, string>): Plugin {
  return {
    onParams({ params, setParams }) {
      const asked = persistedQueryOf(params.extensions)?.sha256Hash;
      const hash = typeof asked === "string" ? asked : typeof params.query === "string" ? sha256(params.query) : undefined;
      const query = hash === undefined ? undefined : trusted.get(hash);
      if (query === undefined) {
        throw createGraphQLError("PersistedQueryNotAllowed: this gateway runs only its trusted documents", {
          extensions: { code: "PERSISTED_QUERY_NOT_ALLOWED", http: { status: 400 } },
        });
      }
      setParams({ ...params, query });
    },
  };
}
