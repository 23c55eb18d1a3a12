import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Reporter, TestModule, TestRunEndReason } from "vitest/node";
import { loadConfig } from "../../src/config.js";
import { documentedRoutes } from "../../src/rest/index.js";
import { missingPrometheusTools, prometheusSkipLine } from "./tools.js";

const TEST_TMP_DIR = join(process.cwd(), ".tmp", "test");
const CONTRACT_LOG_DIR = join(TEST_TMP_DIR, "openapi-contract");

/**
 * Ends the run with the plain "N passed, N failed, N skipped" line that CI
 * reads, after a line on the OpenAPI contract check (helpers/contract-setup.ts):
 * how many REST answers were checked, over how many operations.
 */
export default class SummaryReporter implements Reporter {
  onInit(): void {
    rmSync(CONTRACT_LOG_DIR, { recursive: true, force: true });
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, _errors: unknown, reason: TestRunEndReason): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    let failedFiles = 0;
    for (const module of testModules) {
      if (module.state() === "failed") failedFiles++;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
    }
    // A file can fail outside its tests (a hook, the contract check after them): say so on the line CI reads.
    const files = failedFiles > 0 ? `, ${failedFiles} file${failedFiles > 1 ? "s" : ""} failed` : "";
    const missing = missingPrometheusTools();
    const tools = missing.length > 0 ? `${prometheusSkipLine(missing)}\n` : "";
    process.stdout.write(`\n${contractSummary()}${tools}vitest: ${passed} passed, ${failed} failed, ${skipped} skipped${files}\n`);
    // A green run leaves nothing behind; a red one keeps its files to look at.
    if (reason === "passed") removeTestFiles();
  }
}

function contractSummary(): string {
  if (!existsSync(CONTRACT_LOG_DIR)) return "";
  const answers = readdirSync(CONTRACT_LOG_DIR).flatMap((f) => readFileSync(join(CONTRACT_LOG_DIR, f), "utf8").trim().split("\n"));
  const operations = documentedRoutes(loadConfig({})).map((r) => r.operationId);
  const seen = new Set(answers.map((a) => a.split(" ")[0]));
  const missed = operations.filter((o) => !seen.has(o));
  const pairs = new Set(answers).size;
  return `OpenAPI contract: ${answers.length} REST answers checked, ${pairs} distinct operation/status pairs, ${operations.length - missed.length} of ${operations.length} operations${missed.length ? ` (not seen: ${missed.join(", ")})` : ""}\n`;
}

/** The tests' scratch folder, and .tmp itself when nothing else (a benchmark, the chaos harness) uses it. */
function removeTestFiles(): void {
  rmSync(TEST_TMP_DIR, { recursive: true, force: true });
  const tmp = dirname(TEST_TMP_DIR);
  if (existsSync(tmp) && readdirSync(tmp).length === 0) rmSync(tmp, { recursive: true, force: true });
}
