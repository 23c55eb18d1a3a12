import { spawn } from "node:child_process";
import { get } from "node:http";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TEST_AUTH_SECRET, TMP_DIR, type TestServer } from "./helpers/server.js";

/** What client developers trip over first: each rough edge answered as a client would expect. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const metric = async (pattern: RegExp) => Number(pattern.exec(await (await server.request("/metrics", { as: "anonymous" })).text())?.[1] ?? 0);

describe("rough edges", () => {
  it("answers a connection's first or last out of range with VALIDATION_FAILED, not INTERNAL", async () => {
    for (const args of ["first: -1", "last: -5"]) {
      const body = await server.gql(`query { products(${args}) { edges { cursor } } }`);
      expect(body.errors?.[0]?.extensions?.code, args).toBe("VALIDATION_FAILED");
    }
  });

  it("lets a fetch client read the 400 for an upload refused for its missing CSRF header (no reset mid-upload)", async () => {
    const form = new FormData();
    form.append("operations", JSON.stringify({ query: "mutation U($f: Upload!) { bulkUploadProducts(file: $f) { job { id } } }", variables: { f: null } }));
    form.append("map", JSON.stringify({ 0: ["variables.f"] }));
    form.append("0", new Blob([`sku,name,price,stockQuantity\n${"X-1,Name,1.00,1\n".repeat(400_000)}`], { type: "text/csv" }), "big.csv");
    const res = await server.request("/graphql", { method: "POST", body: form });
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].extensions.code).toBe("CSRF_PREFLIGHT_REQUIRED");
  });

  it("labels an error response's metrics with its route, not '/'", async () => {
    const labelled = /http_request_duration_seconds_count\{method="POST",route="\/api\/products",status="400"\} (\d+)/;
    const before = await metric(labelled);
    expect((await server.request("/api/products", { method: "POST", json: { name: "" } })).status).toBe(400);
    expect(await metric(labelled)).toBe(before + 1);
    const wrong = /http_request_duration_seconds_count\{method="POST",route="\/",status="400"\} (\d+)/;
    expect(await metric(wrong)).toBe(0);
  });

  it("says an id must be a positive integer id, not which pattern it failed", async () => {
    const res = await server.request("/api/orders/abc");
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain("must be a positive integer id");
    expect(text).not.toMatch(/pattern|\\d/);
  });
});

/** Raw bytes on the wire (fetch would decompress them out of sight). */
function onTheWire(path: string, headers: Record<string, string>): Promise<{ bytes: number; encoding: string | undefined; type: string | undefined; cacheControl: string | undefined }> {
  return new Promise((resolve, reject) => {
    get(`${server.url}${path}`, { headers }, (res) => {
      let bytes = 0;
      res.on("data", (chunk: Buffer) => (bytes += chunk.length));
      res.on("end", () => resolve({ bytes, encoding: res.headers["content-encoding"], type: res.headers["content-type"], cacheControl: res.headers["cache-control"] }));
    }).on("error", reject);
  });
}

describe("compression", () => {
  it("serves GraphiQL as a small page and separate files, cached for a year and compressed when asked", async () => {
    const page = await (await fetch(`${server.url}/graphql`, { headers: { accept: "text/html" } })).text();
    expect(page.length).toBeLessThan(2_048); // was 9 MB with every file inlined
    const files = [...page.matchAll(/(?:src|href)="(\/graphiql\/[^"]+)"/g)].map((m) => m[1]!);
    expect(files.map((f) => f.split("/").at(-1)).sort()).toEqual(["favicon.ico", "graphiql.css", "graphiql.js", "init.js"]);
    const total = { plain: 0, br: 0, gzip: 0 };
    for (const file of [...files, files[0]!.replace(/[^/]+$/, "graphql.worker.js")]) {
      const plain = await onTheWire(file, {});
      const br = await onTheWire(file, { "accept-encoding": "gzip, deflate, br" });
      const gzip = await onTheWire(file, { "accept-encoding": "gzip" });
      expect(plain.encoding).toBeUndefined();
      expect(br.encoding).toBe("br");
      expect(gzip.encoding).toBe("gzip");
      expect(plain.cacheControl).toBe("public, max-age=31536000, immutable");
      total.plain += plain.bytes;
      total.br += br.bytes;
      total.gzip += gzip.bytes;
    }
    console.log(`GraphiQL's files: ${total.plain} B plain, ${total.gzip} B gzip, ${total.br} B br`);
    expect(total.br).toBeLessThan(total.plain / 3);
    expect(total.gzip).toBeLessThan(total.plain / 3);
    expect((await fetch(`${server.url}${files[0]!.replace(/[^/]+$/, "package.json")}`)).status).toBe(404);
  });

  it("compresses JSON and streamed CSV too, and leaves small answers alone", async () => {
    const token = `Bearer ${await server.tokenFor()}`;
    const csv = await onTheWire("/api/products/sample-csv/5000", { authorization: token, "accept-encoding": "gzip" });
    expect(csv).toMatchObject({ encoding: "gzip", type: expect.stringMatching(/^text\/csv/) });
    const csvPlain = await onTheWire("/api/products/sample-csv/5000", { authorization: token });
    expect(csv.bytes).toBeLessThan(csvPlain.bytes / 2);
    expect((await onTheWire("/api/products?limit=200", { "accept-encoding": "gzip" })).encoding).toBe("gzip");
    expect((await onTheWire("/health", { "accept-encoding": "gzip" })).encoding).toBeUndefined();
  });
});

describe("npm start", () => {
  it("stops the server on SIGTERM (the script execs node, so the signal reaches it)", async () => {
    const child = spawn("npm", ["start", "--silent"], {
      env: { ...process.env, PORT: "0", LOG_LEVEL: "info", AUTH_JWT_SECRET: TEST_AUTH_SECRET, DATABASE_URL: `file:${join(TMP_DIR, `start-${randomUUID()}.db`)}` },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("npm start did not listen in 90 s")), 90_000);
      createInterface({ input: child.stdout! }).on("line", (line) => {
        if (!line.startsWith("{")) return;
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === "listening" && entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      });
    });
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  }, 120_000);
});
