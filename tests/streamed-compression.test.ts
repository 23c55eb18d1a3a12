import { get } from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";

/**
 * Streamed CSV downloads, compressed when asked: browsers and fetch ask for
 * gzip or br by default. That the compression costs at most twice the plain
 * CPU time is a speed claim, shown by `npm run bench -- csv-compression`
 * (bench/README.md), not asserted here.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const ROWS = 50_000;

/** The response's bytes as they came over the wire (node:http decodes nothing). */
function download(encoding: string, token: string): Promise<{ body: Buffer; contentEncoding: string | undefined }> {
  return new Promise((resolve, reject) => {
    get(`${server.url}/api/products/sample-csv/${ROWS}`, { headers: { "accept-encoding": encoding, authorization: `Bearer ${token}` } }, (res) => {
      expect(res.statusCode).toBe(200);
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ body: Buffer.concat(chunks), contentEncoding: res.headers["content-encoding"] }));
    }).on("error", reject);
  });
}

const decode = (body: Buffer, encoding: string | undefined) => (encoding === "br" ? brotliDecompressSync(body) : encoding === "gzip" ? gunzipSync(body) : body);

/** The least of several runs: anything else the process does only ever adds, so the minimum is each side's own cost. */
const fastest = (values: number[]) => Math.min(...values);

describe("a streamed CSV download", () => {
  it("is compressed when asked: gzip and br each decode to the same file, at under a quarter of its size", async () => {
    const token = await server.tokenFor();
    const plain = await download("identity", token);
    expect(plain.contentEncoding).toBeUndefined();
    expect(plain.body.toString().split("\n")).toHaveLength(ROWS + 2);
    for (const encoding of ["gzip", "br"]) {
      const compressed = await download(encoding, token);
      expect(compressed.contentEncoding).toBe(encoding);
      expect(compressed.body.length).toBeLessThan(plain.body.length / 4);
      expect(decode(compressed.body, compressed.contentEncoding).equals(plain.body)).toBe(true);
    }
  });
});
