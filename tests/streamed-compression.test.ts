import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";

/**
 * Streamed CSV downloads compressed at close to plain speed: browsers and
 * fetch ask for gzip or br by default, and per-line compression made the
 * 50,000-row sample 8x slower than plain. Timed as a ratio in the same test
 * (medians of interleaved runs), so a busy machine slows both sides alike.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const ROWS = 50_000;

async function download(encoding: string): Promise<{ ms: number; body: Buffer; contentEncoding: string | null }> {
  const started = performance.now();
  const res = await server.request(`/api/products/sample-csv/${ROWS}`, { headers: { "accept-encoding": encoding } });
  expect(res.status).toBe(200);
  // undici decodes what it asked for; read the bytes as they came only when we asked ourselves.
  const body = Buffer.from(await res.arrayBuffer());
  return { ms: performance.now() - started, body, contentEncoding: res.headers.get("content-encoding") };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe("a streamed CSV download", () => {
  it("is compressed when asked, the same file, and at most 2x the plain time", async () => {
    await download("identity"); // warm-up
    const plain: number[] = [];
    const compressed: Record<string, number[]> = { gzip: [], br: [] };
    let plainBody: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 3; i++) {
      const p = await download("identity");
      expect(p.contentEncoding).toBeNull();
      plainBody = p.body;
      plain.push(p.ms);
      for (const encoding of ["gzip", "br"]) {
        const c = await download(encoding);
        expect(c.contentEncoding).toBe(encoding);
        expect(c.body.equals(plainBody)).toBe(true); // fetch decoded it: the same CSV
        compressed[encoding]!.push(c.ms);
      }
    }
    expect(plainBody.toString().split("\n")).toHaveLength(ROWS + 2);
    console.log(`sample CSV, ${ROWS} rows: plain ${median(plain).toFixed(0)} ms, gzip ${median(compressed.gzip!).toFixed(0)} ms, br ${median(compressed.br!).toFixed(0)} ms`);
    expect(median(compressed.gzip!)).toBeLessThan(2 * median(plain));
    expect(median(compressed.br!)).toBeLessThan(2 * median(plain));
  });
});
