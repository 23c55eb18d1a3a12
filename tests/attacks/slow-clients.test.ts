import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { expectServedThroughout, slowestHealthDuring, unchangedServer } from "./harness.js";

/** Slow and many clients: each holds only what the limits allow, and the gateway keeps serving. */
// Every client here is 127.0.0.1: its share of the requests in flight is all of them.
const server = unchangedServer({ HTTP_REQUEST_TIMEOUT_MS: 1_000, HTTP_MAX_IN_FLIGHT: 3, HTTP_MAX_IN_FLIGHT_PER_ADDRESS: 3, HTTP_MAX_CONNECTIONS: 12 });

/** A client that sends its headers and then one byte of body every `everyMs`; resolves with what the server answered and when. */
function dribbler(path: string, everyMs: number, headers = ""): { socket: Socket; answer: Promise<{ text: string; ms: number }>; closed: () => boolean } {
  const { hostname, port } = new URL(server().url);
  const socket = connect(Number(port), hostname);
  const started = performance.now();
  let text = "";
  socket.on("data", (d) => (text += d.toString()));
  socket.on("error", () => {});
  socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}Content-Length: 1000\r\n\r\n{`);
  const timer = setInterval(() => socket.writable && socket.write(" "), everyMs);
  let closed = false;
  const answer = new Promise<{ text: string; ms: number }>((resolve) =>
    socket.on("close", () => {
      closed = true;
      clearInterval(timer);
      resolve({ text, ms: performance.now() - started });
    }),
  );
  return { socket, answer, closed: () => closed };
}

describe("slow and many clients", () => {
  it("answers a body dribbled a byte at a time 408 at its deadline and closes the connection, while /health stays fast", async () => {
    const { result, ...served } = await slowestHealthDuring(server(), () => dribbler("/api/checkout/coupons", 100).answer);
    expect(result.text).toMatch(/^HTTP\/1\.1 408/);
    expect(result.text).toContain('"code":"REQUEST_TIMEOUT"');
    // Not before the 1 s deadline; and well before the 100 s the dribble would take to finish.
    expect(result.ms).toBeGreaterThan(900);
    expect(result.ms).toBeLessThan(20_000);
    expectServedThroughout(served);
  });

  it("keeps the body deadline for an event stream's request: a dribbled subscription body is 408 at it", async () => {
    const { text, ms } = await dribbler("/graphql", 100, "Accept: text/event-stream\r\n").answer;
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(20_000); // the dribble would take 100 s
  });

  it("cuts a refused request's connection at the body deadline, though its body is still arriving", async () => {
    const slow = [dribbler("/api/checkout/coupons", 100), dribbler("/graphql", 100), dribbler("/api/checkout", 100)];
    await new Promise((r) => setTimeout(r, 200));
    // A fourth is refused 503 at once; its body keeps coming, a byte every 100 ms, and would for 100 s.
    const refused = await dribbler("/api/checkout", 100).answer;
    expect(refused.text).toMatch(/^HTTP\/1\.1 503/);
    expect(refused.ms).toBeLessThan(20_000); // before: open until the server's fallback timeout, 10 minutes by default
    await Promise.all(slow.map((s) => s.answer));
  });

  it("answers 503 OVERLOADED at once past the requests in flight, and serves again when they end", async () => {
    const slow = [dribbler("/api/checkout/coupons", 100), dribbler("/graphql", 100), dribbler("/api/checkout", 100)];
    await new Promise((r) => setTimeout(r, 200));
    const shed = await server().request("/api/products", { as: "anonymous" });
    expect(shed.status).toBe(503);
    expect(shed.headers.get("retry-after")).toBe("1");
    expect((await shed.json()).code).toBe("OVERLOADED");
    // At once: while the three slow requests still hold their slots, not queued behind them.
    expect(slow.map((s) => s.closed())).toEqual([false, false, false]);
    // Probes are never shed.
    expect((await server().request("/health", { as: "anonymous" })).status).toBe(200);
    await Promise.all(slow.map((s) => s.answer));
    expect((await server().request("/api/products", { as: "anonymous" })).status).toBe(200);
  });

  it("refuses connections past one address's share and past the cap, and accepts again once they close", async () => {
    const { hostname, port } = new URL(server().url);
    const connectFrom = (localAddress: string) =>
      new Promise<Socket>((resolve) => {
        const s = connect({ port: Number(port), host: hostname, localAddress }, () => resolve(s));
        s.on("error", () => {});
      });
    /** A GET on the socket: "served" when an answer comes, "closed" when the server closes it first. */
    const outcome = (s: Socket) =>
      new Promise<"served" | "closed">((resolve) => {
        s.once("data", () => resolve("served"));
        s.once("close", () => resolve("closed"));
        s.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
      });
    // One address holds its share (half of the 12), and its next connection is closed; another address is served.
    const first = await Promise.all(Array.from({ length: 6 }, () => connectFrom("127.0.0.1")));
    await new Promise((r) => setTimeout(r, 100));
    expect(await outcome(await connectFrom("127.0.0.1"))).toBe("closed");
    const second = await Promise.all(Array.from({ length: 6 }, () => connectFrom("127.0.0.2")));
    expect(await outcome(second[0]!)).toBe("served");
    // Twelve in all: a third address's connection is closed too.
    await new Promise((r) => setTimeout(r, 100));
    expect(await outcome(await connectFrom("127.0.0.3"))).toBe("closed");
    for (const s of [...first, ...second]) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect((await server().request("/health", { as: "anonymous" })).status).toBe(200);
  });
});
