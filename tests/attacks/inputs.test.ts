import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseMoney } from "../../src/lib/money.js";
import { rowParser } from "../../src/services/bulk-import/rows.js";
import { parseLegacyDiscount } from "../../src/services/coupons/legacy.js";
import { couponInputSchema } from "../../src/services/coupons/input.js";
import { productInputSchema } from "../../src/services/products/input.js";
import { slowestHealthDuring, unchangedServer } from "./harness.js";

/**
 * Every parser of client text, fed its worst case at the largest size it
 * accepts: each answers well within a second (linear time: a few
 * milliseconds on a quiet machine, where the backtracking or quadratic
 * parsers these replace took seconds to minutes), the gateway keeps serving,
 * and nothing is written. The bound is generous so that a busy machine
 * cannot miss it; `npm run bench` has the figures.
 */
const BOUND_MS = 1_000;
const timed = <T>(fn: () => T): number => {
  const started = performance.now();
  try {
    fn();
  } catch {
    // Refusing is the expected answer; only the time matters here.
  }
  return performance.now() - started;
};

describe("parsers, worst case at the size limit", () => {
  const MB = 1024 * 1024;
  const spaces = (n: number) => " ".repeat(n);
  const cases: [string, () => unknown][] = [
    ["legacy discount: 1 + spaces + x (the 42 s backtracking input)", () => parseLegacyDiscount(`1${spaces(MB)}x`)],
    ["legacy discount: spaces, % and spaces", () => parseLegacyDiscount(`${spaces(MB / 2)}15%${spaces(MB / 2)}!`)],
    ["money: a megabyte of digits", () => parseMoney("9".repeat(MB))],
    ["money: digits, a dot, more digits", () => parseMoney(`${"1".repeat(MB / 2)}.${"2".repeat(MB / 2)}`)],
    ["coupon: a megabyte code", () => couponInputSchema.safeParse({ code: "A".repeat(MB) + "!", type: "PERCENTAGE", percentOff: 10 })],
    ["coupon: a megabyte percent", () => couponInputSchema.safeParse({ code: "X", type: "PERCENTAGE", percentOff: "1".repeat(MB) })],
    ["product: a megabyte sku of separators", () => productInputSchema.safeParse({ name: "x", priceCents: 1, stockQuantity: 1, sku: `A${"._-/".repeat(MB / 4)}!` })],
    ["product: a megabyte name", () => productInputSchema.safeParse({ name: "n".repeat(MB), priceCents: 1, stockQuantity: 1 })],
    ["CSV row: 64 fields of 1 KB each, every one bad", () => rowParser(["sku", "name", "description", "price", "stockQuantity"])(Array.from({ length: 5 }, () => `${"9".repeat(1023)}!`))],
  ];
  for (const [name, parse] of cases) {
    it(`${name}: under ${BOUND_MS} ms`, () => {
      timed(parse); // warm up
      expect(timed(parse)).toBeLessThan(BOUND_MS);
    });
  }
});

const server = unchangedServer({});

describe("poison bodies against a running server", () => {
  const within = async (send: () => Promise<Response>) => {
    const started = performance.now();
    const res = await send();
    const body = await res.text();
    return { status: res.status, body, ms: performance.now() - started };
  };

  it("answers the 1 MB legacy-discount coupon with 400 at once, while /health stays fast", async () => {
    const { result, slowestMs } = await slowestHealthDuring(server(), () =>
      within(() => server().request("/api/checkout/coupons", { method: "POST", json: { code: `X${randomUUID().slice(0, 6)}`, discount: `1${" ".repeat(1_000_000)}x` } })),
    );
    expect(result.status).toBe(400);
    expect(JSON.parse(result.body).code).toBe("VALIDATION_FAILED");
    // The backtracking parser took 42 s on this input, holding the event loop all along.
    expect(result.ms).toBeLessThan(BOUND_MS * 5);
    expect(slowestMs).toBeLessThan(BOUND_MS * 5);
  });

  it("answers deeply nested JSON with 400 and GraphQL variables with a coded error, never a crash", async () => {
    const nested = `${"[".repeat(400_000)}${"]".repeat(400_000)}`;
    const rest = await within(() => server().request("/api/checkout/coupons", { method: "POST", headers: { "content-type": "application/json" }, body: `{"code":"N","discount":${nested}}` }));
    expect(rest.status).toBe(400);
    const gql = await within(() =>
      server().request("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: `{"query":"query Q($x: [ID!]) { __typename }","variables":{"x":${nested}}}` }),
    );
    expect(gql.status).toBeLessThan(500);
    expect(JSON.parse(gql.body).errors[0].message).toMatch(/Variable "\$x"/);
    expect((await server().request("/health", { as: "anonymous" })).status).toBe(200);
  });

  it("answers an 8 KB bearer header of garbage with 401 at once", async () => {
    const res = await within(() => server().request("/api/orders/1", { headers: { authorization: `Bearer ${"a.".repeat(4_000)}` } }));
    expect(res.status).toBe(401);
    expect(res.ms).toBeLessThan(BOUND_MS * 5);
  });
});
