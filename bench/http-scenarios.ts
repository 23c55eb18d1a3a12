import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import { checkoutShapeBaseline } from "./baselines/checkout-shape.js";
import { startServer, type BenchServer } from "./lib.js";

const WORK = join(process.cwd(), ".tmp", "bench");
const smoke = process.env.BENCH_SMOKE === "1";
/** Load on each server before the measured slices. */
const WARM_UP_SECONDS = 3;

export interface LoadFigures {
  rps: number;
  p50: number;
  /** Over the requests on established connections: each connection's first request, which waits for the server to accept it, left out (bench/README.md). */
  p99: number;
  /** Over every request, first ones included. */
  p99All: number;
  non2xx: number;
  errors: number;
}

export interface Sizes {
  seconds: number;
}

/**
 * A load run with autocannon on loopback. `uniqueKey` gives every request its own Idempotency-Key.
 * Latencies are collected per connection: a saturated Node server accepts one new connection per
 * event-loop turn, so the first request on each of a run's fresh connections waits for its accept,
 * up to seconds (bench/README.md); p50 and p99 are over the requests after it, `p99All` over all.
 */
export async function load(options: {
  url: string;
  connections: number;
  seconds: number;
  method?: "GET" | "POST";
  body?: string;
  headers?: Record<string, string>;
  uniqueKey?: boolean;
}): Promise<LoadFigures> {
  const established: number[] = [];
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    method: options.method ?? "GET",
    body: options.body,
    headers: options.headers,
    requests: options.uniqueKey
      ? [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, "idempotency-key": randomUUID() } }) }]
      : undefined,
    setupClient: (client) => {
      let first = true;
      client.on("response", (_status: number, _bytes: number, ms: number) => {
        if (first) first = false;
        else established.push(ms);
      });
    },
  });
  established.sort((a, b) => a - b);
  const percentile = (p: number) => Math.round((established[Math.min(established.length - 1, Math.floor(established.length * p))] ?? 0) * 10) / 10;
  return {
    rps: Math.round(result.requests.average),
    p50: percentile(0.5),
    p99: percentile(0.99),
    p99All: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/**
 * The baseline and ours measured in alternating slices after a warm-up (both
 * servers up at once, each idle while the other is loaded), so the drift of a
 * shared machine's speed hits both alike. Throughput is the mean of the slices,
 * p50 their median, p99 the worst slice's.
 */
export async function alternate(
  seconds: number,
  baseline: (seconds: number) => Promise<LoadFigures>,
  ours: (seconds: number) => Promise<LoadFigures>,
): Promise<{ baseline: LoadFigures; ours: LoadFigures }> {
  return alternateAll(seconds, { baseline, ours });
}

/** The same for any number of servers, each loaded in turn in every round. */
export async function alternateAll<K extends string>(seconds: number, loads: Record<K, (seconds: number) => Promise<LoadFigures>>): Promise<Record<K, LoadFigures>> {
  const names = Object.keys(loads) as K[];
  const rounds = Math.max(1, Math.floor(seconds / 2));
  const slice = seconds / rounds;
  // Warm-up: V8 is still tiering the hot paths up for a few seconds after start, and the first slice would carry that as a tail.
  for (const name of names) await loads[name](smoke ? 1 : WARM_UP_SECONDS);
  const runs = Object.fromEntries(names.map((name) => [name, [] as LoadFigures[]])) as Record<K, LoadFigures[]>;
  for (let i = 0; i < rounds; i++) for (const name of names) runs[name].push(await loads[name](slice));
  return Object.fromEntries(names.map((name) => [name, combine(runs[name])])) as Record<K, LoadFigures>;
}

function combine(runs: LoadFigures[]): LoadFigures {
  const sorted = (pick: (r: LoadFigures) => number) => runs.map(pick).sort((a, b) => a - b);
  return {
    rps: Math.round(runs.reduce((sum, r) => sum + r.rps, 0) / runs.length),
    p50: sorted((r) => r.p50)[Math.floor(runs.length / 2)]!,
    p99: Math.max(...runs.map((r) => r.p99)),
    p99All: Math.max(...runs.map((r) => r.p99All)),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  };
}

/** A database prepared by the real server (migrated, seeded), then filled with bench data. */
export async function prepareDatabase(): Promise<{ file: string; userId: number; productId: number }> {
  mkdirSync(WORK, { recursive: true });
  const file = join(WORK, `http-${randomUUID()}.db`);
  const server = await startServer({ DATABASE_URL: `file:${file}`, UPLOAD_DIR: join(WORK, "uploads"), SEED_ON_START: "true" });
  await server.stop();
  const db = new Database(file);
  const now = new Date().toISOString().replace("Z", "+00:00");
  const product = db.prepare(`INSERT INTO "Product" (sku, name, description, priceCents, stockQuantity, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    for (let i = 0; i < 100; i++) product.run(`BENCH-${i}`, `Bench product ${i}`, "For the benchmark", 1000 + i, 1_000_000_000, now, now);
  })();
  const productId = Number((db.prepare(`SELECT MAX(id) AS id FROM "Product"`).get() as { id: number }).id);
  const userId = Number(db.prepare(`INSERT INTO "User" (email, name, createdAt, updatedAt) VALUES ('bench@example.test', 'Bench', ?, ?)`).run(now, now).lastInsertRowid);
  const order = db.prepare(`INSERT INTO "Order" (userId, status, subtotalCents, discountCents, totalCents, createdAt, updatedAt) VALUES (?, 'PAID', 3000, 0, 3000, ?, ?)`);
  const item = db.prepare(`INSERT INTO "OrderItem" (orderId, productId, quantity, unitPriceCents, lineTotalCents) VALUES (?, ?, 1, 1500, 1500)`);
  db.transaction(() => {
    for (let i = 0; i < 60; i++) {
      const orderId = order.run(userId, now, now).lastInsertRowid;
      item.run(orderId, productId);
      item.run(orderId, productId - 1);
    }
  })();
  db.close();
  return { file, userId, productId };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A baseline server script from bench/baselines, in its own process like ours. */
export async function startBaseline(script: string, file: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", join("bench", "baselines", script)], {
    env: { ...process.env, PORT: String(port), BENCH_DB: file },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      break;
    } catch {
      if (i > 200) throw new Error(`${script} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export async function withOurServer<T>(file: string, env: Record<string, string>, fn: (server: BenchServer) => Promise<T>): Promise<T> {
  const server = await startServer({ DATABASE_URL: `file:${file}`, UPLOAD_DIR: join(WORK, "uploads"), ...env });
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

export function cleanup(file: string): void {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
}

export const PRODUCTS_QUERY = "query Products { products(first: 20) { edges { node { id sku name description priceCents stockQuantity } } } }";
export const BASELINE_PRODUCTS_QUERY = "{ products(first: 20) { id sku name description priceCents stockQuantity } }";
export const userOrdersQuery = (userId: number, first: number) =>
  `query UserOrders { user(id: "${userId}") { orders(first: ${first}) { edges { node { id totalCents items { quantity product { name } } } } } } }`;

export { checkoutShapeBaseline };
