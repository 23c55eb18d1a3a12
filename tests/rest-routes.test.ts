import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";

let server: TestServer;
let endpoints: string[];
beforeAll(async () => {
  server = await startTestServer({}, { captureLogs: true });
  endpoints = ((await (await server.request("/")).json()).endpoints as string[]).filter((e) => e.includes(" /api/"));
});
afterAll(() => server.stop());

/** A concrete URL for a path template: every parameter is 1. */
const concrete = (template: string) => template.replace(/:\w+/g, "1");
const matches = (template: string, path: string) => {
  const [t, p] = [template.split("/"), path.split("/")];
  return t.length === p.length && t.every((segment, i) => segment.startsWith(":") || segment === p[i]);
};

describe("the REST routes, from one table (src/rest/route-table.ts)", () => {
  it("lists, answers and documents the same operations: GET /'s list, the routes that take the requests, the OpenAPI paths", async () => {
    expect(endpoints.length).toBeGreaterThan(10);
    const documented = Object.entries((await (await server.request("/openapi.json", { as: "anonymous" })).json()).paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
    );
    expect([...documented].sort()).toEqual([...endpoints].sort());

    // Each listed operation, asked for, is taken by its own route: the request's log line names that route.
    const answered: string[] = [];
    for (const [i, endpoint] of endpoints.entries()) {
      const [method, template] = endpoint.split(" ") as [string, string];
      const requestId = `route-${i}`;
      const res = await server.request(concrete(template), { method, headers: { "x-request-id": requestId }, ...(method === "POST" ? { json: {} } : {}) });
      await res.arrayBuffer();
      expect(res.status, endpoint).not.toBe(405);
      const line = await vi.waitFor(() => {
        const found = server.logs.find((l) => l.msg === "request completed" && l.requestId === requestId);
        if (!found) throw new Error(`no summary line for ${endpoint}`);
        return found;
      });
      answered.push(`${line.method} ${line.route}`);
    }
    expect(answered).toEqual(endpoints);
  });

  it("answers a wrong method on every known path with 405 and the methods that path takes in Allow", async () => {
    for (const template of new Set(endpoints.map((e) => e.split(" ")[1]!))) {
      const path = concrete(template);
      const methods = new Set(endpoints.filter((e) => matches(e.split(" ")[1]!, path)).map((e) => e.split(" ")[0]!));
      if (methods.has("GET")) methods.add("HEAD");
      const res = await server.request(path, { method: "DELETE" });
      expect(res.status, path).toBe(405);
      expect(res.headers.get("allow"), path).toBe([...methods].sort().join(", "));
      expect((await res.json()).code).toBe("METHOD_NOT_ALLOWED");
    }
    // Two templates can take one path: both count.
    expect((await server.request("/api/orders/user/fulfill", { method: "PUT" })).headers.get("allow")).toBe("GET, HEAD, POST");
  });
});
