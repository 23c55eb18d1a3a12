import { spawnSync } from "node:child_process";

/** Debian's Prometheus tools that the monitoring tests run; `apt-get install prometheus` brings both. */
const PROMETHEUS_TOOLS = ["prometheus", "promtool"] as const;

/** Which of the Prometheus tools are not on PATH. */
export function missingPrometheusTools(): string[] {
  return PROMETHEUS_TOOLS.filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);
}

/** The one line a run without them prints (helpers/summary-reporter.ts). */
export function prometheusSkipLine(missing: string[]): string {
  return `Prometheus: the promtool and live-scrape tests were skipped (${missing.join(" and ")} not on PATH); apt-get install prometheus to run them`;
}
