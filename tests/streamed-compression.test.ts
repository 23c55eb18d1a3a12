import { get } from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";

/**
 * Streamed CSV downloads compressed at close to plain speed: browsers and
 * fetch ask for gzip or br by default, and per-line compression made the
 * 50,000-row sample 8x slower than plain. Measured as a ratio of CPU time in
 * the same test (the least of interleaved runs), which a busy machine does
 * not blur.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const ROWS = 50_000;

/**
 * The response's bytes as they came over the wire (node:http decodes nothing),
 * and the CPU time the process (this test's server, its compression threads
 * included) spent on it: CPU time, not the clock, so that waiting for a core
 * on a busy machine does not count.
 */
function download(encoding: string, token: string): Promise<{ ms: number; body: Buffer; contentEncoding: string | undefined }> {
  const started = process.cpuUsage();
  return new Promise((resolve, reject) => {
    get(`${server.url}/api/products/sample-csv/${ROWS}`, { headers: { "accept-encoding": encoding, authorization: `Bearer ${token}` } }, (res) => {
      expect(res.statusCode).toBe(200);
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const cpu = process.cpuUsage(started);
        resolve({ ms: (cpu.user + cpu.system) / 1000, body: Buffer.concat(chunks), contentEncoding: res.headers["content-encoding"] });
      });
    }).on("error", reject);
  });
}

const decode = (body: Buffer, encoding: string | undefined) => (encoding === "br" ? brotliDecompressSync(body) : encoding === "gzip" ? gunzipSync(body) : body);

/** The least of several runs: anything else the process does only ever adds, so the minimum is each side's own cost. */
const fastest = (values: number[]) => Math.min(...values);

describe("a streamed CSV download", () => {
  it("is compressed when asked, the same file, and at most 2x the plain time", async () => {
    const token = await server.tokenFor();
    await download("identity", token); // warm-up
    const plain: number[] = [];
    const compressed: Record<string, number[]> = { gzip: [], br: [] };
    let plainBody: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 7; i++) {
      const p = await download("identity", token);
      expect(p.contentEncoding).toBeUndefined();
      plainBody = p.body;
      plain.push(p.ms);
      for (const encoding of ["gzip", "br"]) {
        const c = await download(encoding, token);
        expect(c.contentEncoding).toBe(encoding);
        expect(c.body.length).toBeLessThan(plainBody.length / 4);
        expect(decode(c.body, c.contentEncoding).equals(plainBody)).toBe(true);
        compressed[encoding]!.push(c.ms);
      }
    }
    expect(plainBody.toString().split("\n")).toHaveLength(ROWS + 2);
    console.log(`sample CSV, ${ROWS} rows, CPU time: plain ${fastest(plain).toFixed(0)} ms, gzip ${fastest(compressed.gzip!).toFixed(0)} ms, br ${fastest(compressed.br!).toFixed(0)} ms`);
    expect(fastest(compressed.gzip!)).toBeLessThan(2 * fastest(plain));
    expect(fastest(compressed.br!)).toBeLessThan(2 * fastest(plain));
  });
});
