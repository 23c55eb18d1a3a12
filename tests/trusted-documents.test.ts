import { readFileSync } from "node:fs";
import { ApolloClient, HttpLink, InMemoryCache, gql, type TypedDocumentNode } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { addTypenameToDocument } from "@apollo/client/utilities";
import { parse, print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256, TRUSTED_DOCUMENTS_FILE, trustedDocuments } from "../src/graphql/trusted-documents.js";
import { createProduct } from "./helpers/factories.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

/** Production's option: only the repository's operations run (GRAPHQL_TRUSTED_DOCUMENTS). */
const manifest = JSON.parse(readFileSync(TRUSTED_DOCUMENTS_FILE, "utf8")) as Record<string, string>;
const catalogue = Object.values(manifest).find((text) => text.startsWith("query Catalogue"))!;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ NODE_ENV: "production", GRAPHQL_TRUSTED_DOCUMENTS: TRUSTED_DOCUMENTS_FILE });
  for (let i = 0; i < 3; i++) await createProduct();
});
afterAll(() => server.stop());

describe("trusted documents", () => {
  it("the committed manifest is the one clients/operations makes (npm run trusted-documents), also in the shape Apollo Client sends", () => {
    expect(manifest).toEqual(trustedDocuments());
    const texts = Object.values(manifest).filter((t) => !t.includes("__typename"));
    expect(texts).toHaveLength(8);
    for (const text of texts) expect(manifest).toHaveProperty(sha256(print(addTypenameToDocument(parse(text)))));
  });

  it("runs a listed operation asked for by hash with Apollo's PersistedQueryLink, at once (no registration round)", async () => {
    const bodies: Record<string, unknown>[] = [];
    const link = new PersistedQueryLink({ sha256 }).concat(
      new HttpLink({ uri: `${server.url}/graphql`, fetch: async (input, init) => (bodies.push(JSON.parse(String(init?.body))), fetch(input, init)) }),
    );
    const client = new ApolloClient({ link, cache: new InMemoryCache() });
    const result = await client.query({ query: gql(catalogue) as TypedDocumentNode<{ products: { edges: unknown[] } }>, variables: { first: 2 } });
    expect(result.data?.products.edges.length).toBeGreaterThan(0);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).not.toHaveProperty("query");
  });

  it("runs a listed operation sent in full, and refuses anything else before parsing it", async () => {
    const full = await server.request("/graphql", { method: "POST", as: "anonymous", json: { query: catalogue, variables: { first: 1 } } });
    expect((await full.json()).data.products.edges).toHaveLength(1);
    for (const body of [{ query: "{ __typename }" }, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256("query X { __typename }") } } }]) {
      const res = await server.request("/graphql", { method: "POST", as: "anonymous", json: body });
      expect(res.status).toBe(400);
      expect((await res.json()).errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_ALLOWED");
    }
  });
});
