/**
 * The benchmark suite: `npm run bench` runs every scenario, `npm run bench -- <name>` one.
 * Prints a table and writes bench/results/latest.json. BENCH_SMOKE=1 uses tiny sizes
 * and checks no targets (what CI runs so the scripts cannot rot).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { importThroughServer, rawInsertBaseline, writeSample } from "./bulk-import.js";
import { formatTable } from "./lib.js";

const smoke = process.env.BENCH_SMOKE === "1";

interface Result {
  scenario: string;
  value: number;
  unit: string;
  p50Ms?: number;
  p99Ms?: number;
  peakRssMb?: number;
  baseline: string;
  baselineValue: number;
  ratio: number;
  target: string;
  met: boolean | null;
}

const scenarios: Record<string, () => Promise<Result[]>> = {
  "bulk-import": async () => {
    const big = Number(process.env.BENCH_ROWS ?? (smoke ? 2_000 : 1_000_000));
    const small = Math.max(1, Math.round(big / 10));
    const results: Result[] = [];
    const runs: Record<number, number> = {};
    for (const rows of [small, big]) {
      const csv = await writeSample(rows);
      const baseline = rawInsertBaseline(csv, rows);
      const ours = await importThroughServer(csv, rows);
      runs[rows] = ours.peakRssMb;
      const ratio = round(ours.rowsPerSecond / baseline.rowsPerSecond);
      const rssOk = rows !== big || ours.peakRssMb <= runs[small]! * 1.2;
      results.push({
        scenario: `bulk import ${rows.toLocaleString("en-US")} rows`,
        value: ours.rowsPerSecond,
        unit: "rows/s",
        peakRssMb: ours.peakRssMb,
        baseline: "B4 raw inserts",
        baselineValue: baseline.rowsPerSecond,
        ratio,
        target: rows === big ? ">= 0.50, RSS < 300 MB, within 20% of the small run" : "(RSS reference for the large run)",
        met: smoke || rows !== big ? null : ratio >= 0.5 && ours.peakRssMb < 300 && rssOk,
      });
    }
    return results;
  },
};

const round = (n: number) => Math.round(n * 100) / 100;

async function main() {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const unknown = wanted.filter((w) => !(w in scenarios));
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(", ")}; known: ${Object.keys(scenarios).join(", ")}`);
  const results: Result[] = [];
  for (const name of wanted.length ? wanted : Object.keys(scenarios)) results.push(...(await scenarios[name]!()));
  console.log(
    formatTable(
      results.map((r) => ({
        scenario: r.scenario,
        result: `${r.value.toLocaleString("en-US")} ${r.unit}`,
        "p50 ms": r.p50Ms ?? "",
        "p99 ms": r.p99Ms ?? "",
        "peak RSS MB": r.peakRssMb ?? "",
        baseline: `${r.baseline}: ${r.baselineValue.toLocaleString("en-US")}`,
        ratio: r.ratio,
        target: r.target,
        met: r.met === null ? "-" : r.met ? "yes" : "NO",
      })),
    ),
  );
  const dir = join(process.cwd(), "bench", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "latest.json"), JSON.stringify({ date: new Date().toISOString(), smoke, results }, null, 2));
}

await main();
