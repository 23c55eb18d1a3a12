import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Reporter, TestModule } from "vitest/node";
import { loadConfig } from "../../src/config.js";
import { restOperations } from "../../src/rest/openapi/operations.js";

const CONTRACT_LOG_DIR = join(process.cwd(), ".tmp", "openapi-contract");

/**
 * Ends the run with the plain "N passed, N failed, N skipped" line that CI
 * reads, after a line on the OpenAPI contract check (helpers/contract-setup.ts):
 * how many REST answers were checked, over how many operations.
 */
export default class SummaryReporter implements Reporter {
  onInit(): void {
    rmSync(CONTRACT_LOG_DIR, { recursive: true, force: true });
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
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
    process.stdout.write(`\n${contractSummary()}vitest: ${passed} passed, ${failed} failed, ${skipped} skipped${files}\n`);
  }
}

function contractSummary(): string {
  if (!existsSync(CONTRACT_LOG_DIR)) return "";
  const answers = readdirSync(CONTRACT_LOG_DIR).flatMap((f) => readFileSync(join(CONTRACT_LOG_DIR, f), "utf8").trim().split("\n"));
  const operations = restOperations(loadConfig({})).map((o) => o.operationId);
  const seen = new Set(answers.map((a) => a.split(" ")[0]));
  const missed = operations.filter((o) => !seen.has(o));
  const pairs = new Set(answers).size;
  return `OpenAPI contract: ${answers.length} REST answers checked, ${pairs} distinct operation/status pairs, ${operations.length - missed.length} of ${operations.length} operations${missed.length ? ` (not seen: ${missed.join(", ")})` : ""}\n`;
}
