import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";

/** Keys from an identity provider's JWKS, served by a local HTTP server the test controls (and rotates). */
const ME = `query Me { me { kind sub roles } }`;

describe("keys from a JWKS", () => {
  let jwksServer: Server;
  let keys: JWK[] = [];
  let gateway: TestServer;

  beforeAll(async () => {
    jwksServer = createServer((_req, res) => res.setHeader("content-type", "application/json").end(JSON.stringify({ keys })));
    await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
    const { port } = jwksServer.address() as AddressInfo;
    gateway = await startTestServer({ AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks`, AUTH_JWKS_COOLDOWN_MS: 0 });
  });
  afterAll(async () => {
    await gateway.stop();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  async function keyPair(kid: string) {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
  }
  const tokenWith = (key: Awaited<ReturnType<typeof keyPair>>) =>
    new SignJWT({ roles: ["admin"] }).setProtectedHeader({ alg: "ES256", kid: key.kid }).setSubject("staff-1").setExpirationTime("5m").sign(key.privateKey);
  const whoIs = async (token: string) => {
    const res = await gateway.request("/graphql", { method: "POST", json: { query: ME }, headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: await res.json() };
  };

  it("verifies ES256 tokens by kid and follows a key rotation", async () => {
    const first = await keyPair("key-1");
    keys = [first.jwk];
    expect((await whoIs(await tokenWith(first))).body.data.me.sub).toBe("staff-1");

    // Rotation: the provider publishes key-2 and retires key-1.
    const second = await keyPair("key-2");
    keys = [second.jwk];
    expect((await whoIs(await tokenWith(second))).body.data.me.kind).toBe("admin");
    expect((await whoIs(await tokenWith(first))).status).toBe(401);
  });

  it("refuses an HS256 token signed with the public key's material (algorithm confusion)", async () => {
    const key = await keyPair("key-3");
    keys = [key.jwk];
    const forged = await new SignJWT({ roles: ["admin"] })
      .setProtectedHeader({ alg: "HS256", kid: "key-3" })
      .setSubject("staff-1")
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(JSON.stringify(key.jwk)));
    expect((await whoIs(forged)).status).toBe(401);
  });
});

