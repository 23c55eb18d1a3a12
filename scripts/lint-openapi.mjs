// `npm run lint:contracts`: lints the committed openapi.json with Redocly's
// rules (redocly.yaml), through its library rather than its CLI: the CLI
// prints a banner on every run and sends usage telemetry to Redocly's cloud.
import { formatProblems, getTotals, lint, loadConfig } from "@redocly/openapi-core";

const FILE = "openapi.json";
const config = await loadConfig({ configPath: "redocly.yaml" });
const problems = await lint({ ref: FILE, config });
const totals = getTotals(problems);
if (problems.length > 0) formatProblems(problems, { format: "stylish", totals, version: "" });
if (totals.errors > 0) process.exit(1);
process.stdout.write(`${FILE}: valid under redocly.yaml's rules (${totals.warnings} warnings)\n`);
