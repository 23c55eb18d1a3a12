import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sha256 } from "../../src/graphql/trusted-documents.js";
import { spawnServer, type ServerProcess } from "../helpers/process.js";
import { adminHeaders, freshDatabase, TMP_DIR } from "../helpers/server.js";
import { rawSocket } from "./ws-client.js";

/**
 * The long-lived-state attacks that need a gateway process of their own:
 * its memory, its start-up checks, its files (tests/attacks/long-lived.test.ts
 * has the rest). Each prints what it measured.
 */
async function withGateway<T>(env: Record<string, string>, run: (gateway: ServerProcess) => Promise<T>): Promise<T> {
  const database = await freshDatabase();
  const gateway = await spawnServer({ DATABASE_URL: database.url, ...env });
  try {
    return await run(gateway);
  } finally {
    await gateway.kill("SIGKILL");
    await database.drop();
  }
}

const residentBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;

const graphql = (gateway: ServerProcess, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${gateway.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

const persisted = (query: string | undefined, hash: string) => ({ query, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });

describe("row 1: automatic persisted queries", () => {
  it("keeps memory flat through 300 anonymous 700 KB registrations, and rate-limits registrations per address", async () => {
    // The heap production runs with (npm start): an unbounded store exhausts it.
    await withGateway({ NODE_OPTIONS: "--max-old-space-size=256 --max-semi-space-size=16" }, async (gateway) => {
      const pid = gateway.child.pid!;
      await graphql(gateway, { query: "{ __typename }" });
      const before = residentBytes(pid);
      let slowestHealthMs = 0;
      let done = false;
      const poller = (async () => {
        while (!done) {
          const started = performance.now();
          expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
          slowestHealthMs = Math.max(slowestHealthMs, performance.now() - started);
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const padding = "x".repeat(700_000);
      const documents = Array.from({ length: 300 }, (_, i) => `{ __typename } #${i}${padding}`);
      for (let i = 0; i < documents.length; i += 10) {
        const answers = await Promise.all(documents.slice(i, i + 10).map((q) => graphql(gateway, persisted(q, sha256(q)))));
        for (const a of answers) expect(await a.json()).toEqual({ data: { __typename: "Query" } });
      }
      done = true;
      await poller;
      const grownMb = (residentBytes(pid) - before) / 1024 / 1024;
      console.log(`300 x 700 KB APQ registrations: resident memory grew ${grownMb.toFixed(1)} MB, slowest /health ${slowestHealthMs.toFixed(0)} ms`);
      expect(grownMb).toBeLessThan(64);
      // Run, not remembered: over APQ_MAX_DOCUMENT_BYTES.
      expect((await (await graphql(gateway, persisted(undefined, sha256(documents[0]!)))).json()).errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_FOUND");

      // Small documents are remembered, at most APQ_REGISTRATIONS_PER_MIN (60) a minute from one address.
      const small = Array.from({ length: 61 }, (_, i) => `query Small${i} { __typename }`);
      const statuses = [];
      for (const q of small) statuses.push((await graphql(gateway, persisted(q, sha256(q)))).status);
      expect(statuses.slice(0, 60)).toEqual(Array(60).fill(200));
      const refused = await graphql(gateway, persisted(small[60]!, sha256(small[60]!)));
      expect(refused.status).toBe(429);
      expect((await refused.json()).errors[0].extensions.code).toBe("RATE_LIMITED");
      expect(await (await graphql(gateway, persisted(undefined, sha256(small[0]!)))).json()).toEqual({ data: { __typename: "Query" } });
    });
  }, 180_000);
});

describe("row 6: the WebSocket door runs the whole envelope", () => {
  it("refuses introspection and any document outside the trusted manifest over WebSocket, as over HTTP", async () => {
    await withGateway({ NODE_ENV: "production", GRAPHQL_TRUSTED_DOCUMENTS: "clients/trusted-documents.json", METRICS_TOKEN: "a-metrics-token-for-tests" }, async (gateway) => {
      const ws = await rawSocket(gateway.url);
      expect(await ws.init({ Authorization: (await adminHeaders()).authorization })).toBe(true);
      for (const [id, query] of [["1", "{ __schema { types { name } } }"], ["2", "{ products(first: 1) { edges { node { id } } } }"]] as const) {
        expect(await ws.subscribe(id, query)).toMatchObject({ type: "error", payload: [{ extensions: { code: "PERSISTED_QUERY_NOT_ALLOWED" } }] });
        const http = await graphql(gateway, { query }, await adminHeaders());
        expect((await http.json()).errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_ALLOWED");
      }
      ws.socket.close();
    });
    // Without a manifest, production's introspection switch holds over WebSocket too.
    await withGateway({ NODE_ENV: "production", METRICS_TOKEN: "a-metrics-token-for-tests" }, async (gateway) => {
      const ws = await rawSocket(gateway.url);
      expect(await ws.init({ Authorization: (await adminHeaders()).authorization })).toBe(true);
      const answer = await ws.subscribe("1", "{ __schema { types { name } } }");
      expect(answer.type).toBe("error");
      expect(answer.payload[0].extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
      expect(answer.payload[0].message).toMatch(/introspection/i);
      ws.socket.close();
    });
  }, 90_000);
});

describe("row 8: tokens from a shared identity provider", () => {
  it("refuses to start in production with AUTH_JWKS_URL but no AUTH_AUDIENCE and AUTH_ISSUER, naming both", async () => {
    const database = await freshDatabase();
    try {
      const started = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
        env: { ...process.env, NODE_ENV: "production", AUTH_JWKS_URL: "https://idp.example/.well-known/jwks.json", AUTH_JWT_SECRET: "", DATABASE_URL: database.url, PORT: "0" },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(started.status).toBe(1);
      expect(started.stderr).toMatch(/AUTH_JWKS_URL is set without AUTH_AUDIENCE and AUTH_ISSUER/);
    } finally {
      await database.drop();
    }
    // With both, it starts.
    await withGateway({ NODE_ENV: "production", AUTH_JWKS_URL: "https://idp.example/.well-known/jwks.json", AUTH_JWT_SECRET: "", AUTH_AUDIENCE: "shop-gateway", AUTH_ISSUER: "https://idp.example/" }, async (gateway) => {
      expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    });
  }, 90_000);
});

describe("row 9: the server's files", () => {
  it("are private: the data folder is created 0700, the database files 0600", async () => {
    const dir = join(mkdtempSync(join(TMP_DIR, "private-")), "data");
    const gateway = await spawnServer({ DATABASE_URL: `file:${join(dir, "shop.db")}` });
    try {
      await fetch(`${gateway.url}/api/products?limit=1`);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      for (const file of ["shop.db", "shop.db-wal", "shop.db-shm"]) expect(statSync(join(dir, file)).mode & 0o777, file).toBe(0o600);
    } finally {
      await gateway.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
