/**
 * `npm run chaos`: the real gateway under concurrent clients, killed with
 * SIGKILL at random moments and restarted (or its database restarted, or its
 * disk filled), scenario by scenario; then the
 * invariants (chaos/invariants.ts) read from the database. Prints, per
 * scenario and engine, the kills, requests, retries and violations; exits 1 on
 * any violation (docs/reliability.md).
 *
 *   npm run chaos                     every scenario on SQLite (and PostgreSQL when TEST_POSTGRES_URL is set)
 *   npm run chaos -- --runs 20        the whole harness 20 times
 *   npm run chaos -- --smoke          small sizes (CI)
 *   npm run chaos -- --only coupons   the scenarios whose name contains "coupons"
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { signToken } from "../src/auth/sign.js";
import { loadConfig } from "../src/config.js";
import { closeDatabase, db, openDatabase } from "../src/db/index.js";
import { createLogger } from "../src/lib/logger.js";
import { newTraffic } from "./clients.js";
import { fillDisk, killGateway, restartPostgres, smallVolume, type Fault } from "./faults.js";
import { freePort, Gateway } from "./gateway.js";
import { checkInvariants, stockSnapshot, type Expectations } from "./invariants.js";
import { SCENARIOS, type Context, type Scenario, type Size } from "./scenarios.js";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);

const smoke = flag("smoke") || process.env.CHAOS_SMOKE === "1";
const runs = Number(option("runs") ?? 1);
const only = option("only");
const size: Size = smoke ? { clients: 6, operations: 3, kills: 2, importRows: 3_000 } : { clients: 16, operations: 8, kills: 5, importRows: 30_000 };
const SECRET = "chaos-harness-hs256-secret-of-32-bytes+";
const DIR = join(process.cwd(), ".tmp", "chaos");
const SETTLE_MS = 60_000;

/** Settings that make a crash's consequences show within seconds instead of minutes. */
const GATEWAY_ENV = {
  NODE_ENV: "development",
  LOG_LEVEL: "info",
  AUTH_JWT_SECRET: SECRET,
  SEED_ON_START: "false",
  FRAUD_CHECK_LATENCY_MS: "20",
  FRAUD_CHECK_JITTER_MS: "40",
  FRAUD_CHECK_SLOW_RATE: "0",
  CARD_GATEWAY_LATENCY_MS: "15",
  SHIPPING_LATENCY_MS: "30",
  IDEMPOTENCY_LOCK_TIMEOUT_MS: "2000",
  MAINTENANCE_INTERVAL_MS: "1000",
  OUTBOX_POLL_MS: "200",
  OUTBOX_CLAIM_MS: "3000",
  BULK_WORKER_POLL_MS: "200",
  BULK_JOB_LEASE_MS: "1500",
  BULK_BATCH_SIZE: "1000",
  // Every SIGKILL during an import costs the job an attempt; the harness kills on purpose, more often than the poison-file guard allows.
  BULK_JOB_MAX_ATTEMPTS: "100",
  RATE_LIMIT_CHECKOUT_PER_MIN: "0",
  RATE_LIMIT_PAYMENT_PER_MIN: "0",
  RATE_LIMIT_UPLOAD_PER_MIN: "0",
};

interface Result {
  scenario: string;
  engine: string;
  kills: number;
  requests: number;
  retries: number;
  abandoned: number;
  unavailable: number;
  slowestUnavailableMs: number;
  uncleanExits: number;
  violations: Record<string, string[]>;
  seconds: number;
}

async function database(engine: "sqlite" | "postgres", dir = DIR): Promise<{ url: string; drop(): Promise<void> }> {
  if (engine === "sqlite") {
    const file = join(dir, `${randomUUID()}.db`);
    return { url: `file:${file}`, drop: async () => ["", "-wal", "-shm"].forEach((s) => rmSync(`${file}${s}`, { force: true })) };
  }
  const admin = process.env.TEST_POSTGRES_URL!;
  const name = `chaos_${randomUUID().replaceAll("-", "")}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

async function runScenario(scenario: Scenario, engine: "sqlite" | "postgres", run: number): Promise<Result | string> {
  const started = Date.now();
  const volume = scenario.fault === "disk-full" ? await smallVolume(join(DIR, `volume-${randomUUID()}`), 64) : undefined;
  if (scenario.fault === "disk-full" && !volume) return "skipped: this machine cannot mount a tmpfs volume";
  const fault: Fault = scenario.fault === "postgres-restart" ? restartPostgres : volume ? fillDisk(volume.dir) : killGateway;
  const store = await database(engine, volume?.dir);
  const gateways: Gateway[] = [];
  for (let i = 0; i < scenario.instances; i++) {
    gateways.push(new Gateway(await freePort(), { ...GATEWAY_ENV, ...scenario.env, DATABASE_URL: store.url }, join(DIR, `run${run}-${engine}-${scenario.name.replaceAll(" ", "-")}-${i}.log`)));
  }
  for (const gateway of gateways) await gateway.start();
  openDatabase(loadConfig({}, { DATABASE_URL: store.url, AUTH_JWT_SECRET: SECRET, DB_POOL_SIZE: 4 }), createLogger("silent"));
  const expected: Expectations = { initialStock: new Map(), checkouts: new Map(), imports: [] };
  const ctx: Context = { urls: gateways.map((g) => g.url), adminToken: await signToken(SECRET, { sub: "chaos-admin", roles: ["admin"] }, "2h"), users: [], products: [], traffic: newTraffic(), expected, size, faultsDone: false, deadline: Date.now() + (smoke ? 90_000 : 240_000) };
  try {
    for (let i = 0; i < size.clients; i++) {
      const user = await db().user.create({ data: { email: `chaos-${i}-${randomUUID()}@example.test`, name: `Chaos ${i}` } });
      ctx.users.push({ id: user.id, token: await signToken(SECRET, { sub: String(user.id) }, "2h") });
    }
    for (let i = 0; i < 6; i++) {
      // One product scarcer than the clients want: some checkouts meet INSUFFICIENT_STOCK, as on a sale day.
      const stockQuantity = i === 0 ? size.clients * 2 : 100_000;
      const product = await db().product.create({ data: { name: `Chaos product ${i}`, sku: `chaos-p-${randomUUID()}`, priceCents: 500 + 250 * i, stockQuantity } });
      ctx.products.push(product.id);
    }
    await scenario.setup?.(ctx);
    expected.initialStock = await stockSnapshot();

    let kills = 0;
    const killer = (async () => {
      while (kills < size.kills && Date.now() < ctx.deadline) {
        await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 1_700));
        await fault(gateways);
        kills++;
      }
      ctx.faultsDone = true;
    })();
    await Promise.all([scenario.run(ctx), killer]);

    // Let the gateway settle what the crashes left (reconciliation, expired leases, outbox, resumed imports), then check.
    let violations = await checkInvariants(expected);
    for (const until = Date.now() + SETTLE_MS; Object.keys(violations).length > 0 && Date.now() < until; violations = await checkInvariants(expected)) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    let uncleanExits = 0;
    for (const gateway of gateways) if ((await gateway.stop("SIGTERM")) !== 0) uncleanExits++;
    return { scenario: scenario.name, engine, kills, ...ctx.traffic, uncleanExits, violations, seconds: Math.round((Date.now() - started) / 1000) };
  } finally {
    for (const gateway of gateways) {
      await gateway.stop("SIGKILL");
      gateway.close();
    }
    await closeDatabase();
    await store.drop();
    await volume?.release();
  }
}

function print(scenario: Scenario, engine: string, result: Result | string): void {
  if (typeof result === "string") {
    process.stdout.write(`${scenario.name.padEnd(32)} ${engine.padEnd(8)} ${result}\n`);
    return;
  }
  const count = Object.values(result.violations).reduce((sum, v) => sum + v.length, 0);
  const cells = [result.scenario.padEnd(32), result.engine.padEnd(8), String(result.kills).padStart(5), String(result.requests).padStart(8), String(result.retries).padStart(7), String(result.abandoned).padStart(9), `${result.unavailable}/${result.slowestUnavailableMs}ms`.padStart(13), String(result.uncleanExits).padStart(7), String(count).padStart(10), `${result.seconds} s`.padStart(6)];
  process.stdout.write(`${cells.join(" ")}\n`);
  for (const [name, lines] of Object.entries(result.violations)) for (const line of lines.slice(0, 10)) process.stdout.write(`    ${name}: ${line}\n`);
}

mkdirSync(DIR, { recursive: true });
const engines: ("sqlite" | "postgres")[] = process.env.TEST_POSTGRES_URL ? ["sqlite", "postgres"] : ["sqlite"];
const scenarios = SCENARIOS.filter((s) => !only || s.name.includes(only));
let failed = 0;
process.stdout.write(`chaos: ${runs} run(s), ${smoke ? "smoke" : "full"} size (${size.clients} clients × ${size.operations} operations, ${size.kills} kills per scenario, ${size.importRows} import rows)\n`);
for (let run = 1; run <= runs; run++) {
  process.stdout.write(`\nrun ${run}\n${["scenario".padEnd(32), "engine".padEnd(8), "kills", "requests".padStart(8), "retries".padStart(7), "abandoned".padStart(9), "503s/slowest".padStart(13), "unclean".padStart(7), "violations".padStart(10), "time".padStart(6)].join(" ")}\n`);
  for (const engine of engines) {
    for (const scenario of scenarios) {
      if (scenario.engine && scenario.engine !== engine) continue;
      const result = await runScenario(scenario, engine, run);
      print(scenario, engine, result);
      if (typeof result !== "string" && (Object.keys(result.violations).length > 0 || result.uncleanExits > 0)) failed++;
    }
  }
}
process.stdout.write(failed ? `\nchaos: ${failed} scenario run(s) with violations\n` : "\nchaos: no violations\n");
process.exit(failed ? 1 : 0);
