import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { signToken } from "../src/auth/sign.js";
import { createUser } from "./helpers/factories.js";
import { startTestServer, TEST_AUTH_SECRET, type TestServer } from "./helpers/server.js";

const ME = `query Me { me { kind sub roles user { id email } } }`;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ AUTH_ISSUER: "https://id.shop.test", AUTH_AUDIENCE: "shop-gateway" });
});
afterAll(() => server.stop());

const good = { issuer: "https://id.shop.test", audience: "shop-gateway" };
const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: "HS256" }, secret = TEST_AUTH_SECRET) =>
  new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(new TextEncoder().encode(secret));
const now = () => Math.floor(Date.now() / 1000);

async function me(authorization?: string) {
  const res = await server.request("/graphql", { method: "POST", json: { query: ME }, ...(authorization ? { headers: { authorization } } : { as: "anonymous" }) });
  return { status: res.status, challenge: res.headers.get("www-authenticate"), body: await res.json() };
}
async function restWith(authorization: string) {
  const res = await server.request("/api/products?limit=1", { headers: { authorization } });
  return { status: res.status, challenge: res.headers.get("www-authenticate"), body: await res.json() };
}

describe("bearer tokens", () => {
  it("names a customer by their user id and an admin by the admin role", async () => {
    const user = await createUser();
    const customer = await me(`Bearer ${await signToken(TEST_AUTH_SECRET, { ...good, sub: String(user.id) })}`);
    expect(customer.body.data.me).toEqual({ kind: "customer", sub: String(user.id), roles: [], user: { id: String(user.id), email: user.email } });
    const admin = await me(`Bearer ${await signToken(TEST_AUTH_SECRET, { ...good, sub: "staff-7", roles: ["admin"] })}`);
    expect(admin.body.data.me).toEqual({ kind: "admin", sub: "staff-7", roles: ["admin"], user: null });
  });

  it("asks an anonymous caller of `me` to authenticate", async () => {
    const anonymous = await me();
    expect(anonymous.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
  });

  it.each([
    ["expired", async () => sign({ ...claimsFor(), exp: now() - 120 })],
    ["not yet valid", async () => sign({ ...claimsFor(), nbf: now() + 120 })],
    ["signed with another secret", async () => sign(claimsFor(), { alg: "HS256" }, "another-secret-that-is-long-enough-0000")],
    ["alg none", async () => `${b64({ alg: "none", typ: "JWT" })}.${b64(claimsFor())}.`],
    ["from another issuer", async () => sign({ ...claimsFor(), iss: "https://evil.test" })],
    ["for another audience", async () => sign({ ...claimsFor(), aud: "someone-else" })],
    ["without exp", async () => sign({ ...claimsFor(), exp: undefined })],
    ["for a subject that is no user", async () => sign({ ...claimsFor(), sub: "999999" })],
    ["for a subject that is not a user id", async () => sign({ ...claimsFor(), sub: "alice" })],
  ])("refuses a token %s with 401 invalid_token on both doors", async (_name, make) => {
    const authorization = `Bearer ${await make()}`;
    for (const answer of [await me(authorization), await restWith(authorization)]) {
      expect(answer.status).toBe(401);
      expect(answer.challenge).toMatch(/^Bearer .*error="invalid_token"/);
      expect(JSON.stringify(answer.body)).toContain("UNAUTHENTICATED");
    }
  });

  it.each([
    ["Bearer", "Bearer"],
    ["Bearer and a space", "Bearer "],
    ["Basic credentials", "Basic dXNlcjpwYXNz"],
    ["two tokens", "Bearer a b"],
    ["not a JWT", "Bearer not-a-jwt"],
    ["a 9 KB token", `Bearer ${"x".repeat(9000)}`],
  ])(
    "refuses the header %s with 401 on both doors",
    async (_name, authorization) => {
      for (const answer of [await me(authorization), await restWith(authorization)]) {
        expect(answer.status).toBe(401);
        expect(answer.challenge).toMatch(/error="invalid_token"/);
      }
    },
  );
});

describe("configuration", () => {
  it("refuses to start in production without a key source, saying what to set", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/AUTH_JWKS_URL[\s\S]*AUTH_JWT_SECRET/);
    expect(() => loadConfig({ NODE_ENV: "production", AUTH_JWT_SECRET: "short" })).toThrow(/AUTH_JWT_SECRET: must be at least 32/);
    expect(loadConfig({ NODE_ENV: "production", AUTH_JWT_SECRET: TEST_AUTH_SECRET }).AUTH_JWT_SECRET).toBe(TEST_AUTH_SECRET);
  });
});

function claimsFor(): Record<string, unknown> {
  return { sub: "1", iss: good.issuer, aud: good.audience, exp: now() + 300 };
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
