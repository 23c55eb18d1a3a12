import { spawn, type ChildProcess } from "node:child_process";
import { signToken } from "../src/auth/sign.js";

/** The HS256 secret the benchmarked server trusts: the scenarios sign their tokens with it. */
export const BENCH_AUTH_SECRET = "bench-only-hs256-secret-for-the-gateway-runs";

/** `Authorization` for the benchmarked server: a customer by user id, or an admin. */
export async function benchAuth(userId?: number): Promise<{ authorization: string }> {
  const claims = userId === undefined ? { sub: "bench-admin", roles: ["admin"] } : { sub: String(userId) };
  return { authorization: `Bearer ${await signToken(BENCH_AUTH_SECRET, claims, "4h")}` };
}
import { readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { createInterface } from "node:readline";

export interface BenchServer {
  url: string;
  child: ChildProcess;
  /** Peak resident set size of the server process so far (VmHWM), in MB. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

/** The real server, compiled (`dist/main.js`, what `npm start` runs), in its own process on loopback, quiet. */
/** The load is one customer: the limits stay on (their cost is measured) but high enough never to refuse. */
const BENCH_RATE_LIMITS = {
  RATE_LIMIT_CHECKOUT_PER_MIN: "1000000",
  RATE_LIMIT_PAYMENT_PER_MIN: "1000000",
  RATE_LIMIT_APPLY_COUPON_PER_MIN: "1000000",
  RATE_LIMIT_UPLOAD_PER_MIN: "1000000",
};

export async function startServer(env: Record<string, string>, onLogLine?: (line: string) => void): Promise<BenchServer> {
  const port = await freePort();
  // The same heap limit `npm start` sets (README: NODE_HEAP_MB).
  const nodeArgs = [`--max-old-space-size=${process.env.NODE_HEAP_MB ?? 256}`, "--max-semi-space-size=16", ...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean)];
  const child = spawn(process.execPath, [...nodeArgs, "dist/main.js"], {
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn", NODE_ENV: "production", AUTH_JWT_SECRET: BENCH_AUTH_SECRET, ...BENCH_RATE_LIMITS, ...env },
    stdio: ["ignore", onLogLine ? "pipe" : "inherit", "inherit"],
  });
  if (onLogLine) createInterface({ input: child.stdout! }).on("line", onLogLine);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 300) throw new Error("server did not become ready in 30 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    peakRssMb: () => peakRssMb(child.pid!),
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

export function formatTable(rows: Record<string, string | number>[]): string {
  const headers = Object.keys(rows[0] ?? {});
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => String(r[h]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map((r) => line(headers.map((h) => String(r[h]))))].join("\n");
}
