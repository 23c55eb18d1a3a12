import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TMP_DIR, type TestServer } from "./helpers/server.js";
import { missingPrometheusTools } from "./helpers/tools.js";

/**
 * The monitoring side, tested with Debian's real Prometheus and promtool
 * (.ci/run installs the package): the rules load, every alert has a runbook,
 * and a real Prometheus scrapes a running gateway. Without the tools those
 * tests are skipped, and the run's summary says so in one line; in CI their
 * absence fails the run.
 */
const ALERTS = "ops/prometheus/alerts.yml";
const missing = missingPrometheusTools();
const haveTools = missing.length === 0;

describe.runIf(process.env.CI === "true")("in CI", () => {
  it("has prometheus and promtool on PATH: the monitoring tests always run there", () => {
    expect(missing, "apt-get install prometheus").toEqual([]);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe("alert rules", () => {
  it.runIf(haveTools)("pass promtool check and the promtool unit tests", () => {
    const check = spawnSync("promtool", ["check", "rules", ALERTS], { encoding: "utf8" });
    expect(check.stdout + check.stderr).toMatch(/SUCCESS/);
    expect(check.status).toBe(0);
    const test = spawnSync("promtool", ["test", "rules", "ops/prometheus/alerts.test.yml"], { encoding: "utf8" });
    expect(test.stdout + test.stderr).toMatch(/SUCCESS/);
    expect(test.status).toBe(0);
  });

  it("give every alert a severity, a summary and a runbook that exists", () => {
    const text = readFileSync(ALERTS, "utf8");
    const alerts = [...text.matchAll(/- alert: (\w+)[\s\S]*?runbook_url: (\S+)/g)];
    expect(alerts.length).toBeGreaterThanOrEqual(11);
    for (const [block, , runbook] of alerts) {
      expect(block).toMatch(/severity: (page|ticket)/);
      expect(block).toMatch(/summary: \S/);
      expect(existsSync(runbook!)).toBe(true);
    }
  });
});

describe.runIf(haveTools)("a real Prometheus against a running gateway", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it("scrapes the gateway: the target is up and gateway metrics are queryable", async () => {
    const dir = join(TMP_DIR, `prometheus-${randomUUID()}`);
    mkdirSync(dir, { recursive: true });
    const target = new URL(server.url).host;
    writeFileSync(
      join(dir, "prometheus.yml"),
      `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: gateway\n    static_configs: [{ targets: ["${target}"] }]\n`,
    );
    const port = await freePort();
    const prometheus = spawn(
      "prometheus",
      [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: "ignore" },
    );
    const query = async (q: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
      return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
    };
    try {
      await server.request("/api/products?limit=1");
      let up: Awaited<ReturnType<typeof query>> = [];
      for (let i = 0; i < 225 && up[0]?.value[1] !== "1"; i++) {
        await new Promise((r) => setTimeout(r, 200));
        up = await query('up{job="gateway"}').catch(() => []);
      }
      expect(up[0]?.value[1]).toBe("1");
      const requests = await query('http_request_duration_seconds_count{job="gateway",route="/api/products"}');
      expect(Number(requests[0]?.value[1])).toBeGreaterThanOrEqual(1);
      expect(await query('process_resident_memory_bytes{job="gateway"}')).toHaveLength(1);
      // Prometheus asks for OpenMetrics first: counters keep their `_total` sample names in it (lib/metrics.ts).
      expect(await query('process_cpu_seconds_total{job="gateway"}')).toHaveLength(1);
      // What the EventLoopLag alert reads (prom-client's default metrics).
      expect(await query('nodejs_eventloop_lag_p99_seconds{job="gateway"}')).toHaveLength(1);
      expect(await query('{__name__=~".*_total_total"}')).toEqual([]);
    } finally {
      prometheus.kill("SIGTERM");
      await new Promise((r) => prometheus.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
