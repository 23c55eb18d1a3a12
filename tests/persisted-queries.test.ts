import { ApolloClient, HttpLink, InMemoryCache, gql, type TypedDocumentNode } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../src/graphql/trusted-documents.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

/** Automatic persisted queries, as Apollo Client's PersistedQueryLink speaks them. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());


describe("automatic persisted queries", () => {
  it("Apollo Client with PersistedQueryLink: a hash miss, the query registered, then hits by hash alone", async () => {
    const bodies: Record<string, unknown>[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      bodies.push(JSON.parse(String(init?.body)));
      return fetch(input, init);
    };
    const link = new PersistedQueryLink({ sha256 }).concat(new HttpLink({ uri: `${server.url}/graphql`, fetch: recordingFetch }));
    const client = new ApolloClient({ link, cache: new InMemoryCache() });
    const query = gql`query Pq { products(first: 2) { edges { node { id name } } } }` as TypedDocumentNode<{ products: { edges: unknown[] } }>;

    const first = await client.query({ query, fetchPolicy: "network-only" });
    expect(first.data?.products.edges).toBeInstanceOf(Array);
    // Hash alone (miss: PersistedQueryNotFound), then hash with the query.
    expect(bodies.map((b) => typeof b.query)).toEqual(["undefined", "string"]);

    const second = await client.query({ query, fetchPolicy: "network-only" });
    expect(second.data).toEqual(first.data);
    expect(bodies).toHaveLength(3);
    expect(bodies[2]).not.toHaveProperty("query");
  });

  it("answers a miss with PERSISTED_QUERY_NOT_FOUND and a wrong hash with PERSISTED_QUERY_MISMATCH", async () => {
    const query = "query Other { __typename }";
    const ext = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
    const miss = await (await server.request("/graphql", { method: "POST", as: "anonymous", json: { extensions: ext(sha256(query)) } })).json();
    expect(miss.errors[0]).toMatchObject({ message: "PersistedQueryNotFound", extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } });
    const wrong = await server.request("/graphql", { method: "POST", as: "anonymous", json: { query, extensions: ext(sha256("something else")) } });
    expect(wrong.status).toBe(400);
    expect((await wrong.json()).errors[0].extensions.code).toBe("PERSISTED_QUERY_MISMATCH");
    const bad = await server.request("/graphql", { method: "POST", as: "anonymous", json: { extensions: ext("not-a-hash") } });
    expect(bad.status).toBe(400);
    // Registered once, it then runs by hash, also over GET.
    await server.request("/graphql", { method: "POST", as: "anonymous", json: { query, extensions: ext(sha256(query)) } });
    const byGet = await server.request(`/graphql?extensions=${encodeURIComponent(JSON.stringify(ext(sha256(query))))}`, { as: "anonymous" });
    expect(await byGet.json()).toEqual({ data: { __typename: "Query" } });
  });
});
