import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TEST_AUTH_SECRET, TMP_DIR, type TestServer } from "./helpers/server.js";

/**
 * The README's examples, run as written, in order, against a server on a
 * fresh (seeded) database: every curl answers 2xx or 3xx and every GraphQL
 * operation answers without errors, on the first try.
 */
const run = promisify(execFile);
const readme = readFileSync(join(process.cwd(), "README.md"), "utf8");

function block(language: string, after: string): string {
  const start = readme.indexOf(after);
  const open = readme.indexOf("```" + language + "\n", start);
  if (start < 0 || open < 0) throw new Error(`README has no ${language} block after ${after}`);
  return readme.slice(open + language.length + 4, readme.indexOf("\n```", open + 3));
}

let server: TestServer;
let workDir: string;
beforeAll(async () => {
  server = await startTestServer({ BULK_WORKER_POLL_MS: 50 });
  workDir = mkdtempSync(join(TMP_DIR, "readme-"));
});
afterAll(async () => {
  await server.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe("the README's examples", () => {
  it("every shell example answers 2xx/3xx, in order, on the first try", async () => {
    const shell = block("sh", "## Examples");
    const host = new URL(server.url).host;
    const lines = shell.split("\n").map((l) => l.trimStart()).filter((l) => !l.startsWith("#"));
    const curls = lines.reduce((n, l) => n + (l.match(/(?:^|\$\()curl /g)?.length ?? 0), 0);
    const script = [
      "set -u",
      // Every curl reports its status on stderr, whatever it does with its output.
      `curl() { command curl -sS -w '%{stderr}README_STATUS %{http_code} %{url_effective}\\n' "$@"; }`,
      shell.replaceAll("localhost:4000", host).replaceAll("npm run -s token", `npm --prefix ${process.cwd()} run -s token`),
    ].join("\n");
    // Run from the repository, as its reader would; mktemp's folder is made inside this test's own.
    const env = { ...process.env, AUTH_JWT_SECRET: TEST_AUTH_SECRET, DATABASE_URL: server.config.DATABASE_URL, LOG_LEVEL: "silent", TMPDIR: workDir };
    const untracked = async () => (await run("git", ["status", "--porcelain", "--untracked-files=all"])).stdout;
    const before = await untracked();
    const { stdout, stderr } = await run("bash", ["-c", script], { env, maxBuffer: 64 * 1024 * 1024 });
    const statuses = [...stderr.matchAll(/^README_STATUS (\d{3}) (\S+)$/gm)].map((m) => ({ status: Number(m[1]), url: m[2] }));
    expect(statuses).toHaveLength(curls);
    expect(statuses.filter((s) => s.status >= 400)).toEqual([]);
    // The GraphQL upload answered a job, not errors (a GraphQL error is a 200 too), and nothing was written into the repository.
    expect(stdout).toMatch(/\{"data":\{"bulkUploadProducts":\{"job":\{"id":"\d+","status":"QUEUED"\}\}\}\}/);
    expect(await untracked()).toBe(before);
  }, 120_000);

  it("every GraphQL example answers without errors, PayLater's order feeding Discount, Pay and Cancel, Pay's payment Refund", async () => {
    const operations = block("graphql", "In GraphiQL")
      .split(/\n(?=(?:query|mutation) )/)
      .map((text) => text.split("\n").filter((l) => !l.startsWith("#")).join("\n").trim())
      .filter((text) => /^(query|mutation) /.test(text));
    expect(operations.length).toBeGreaterThanOrEqual(8);
    let orderId: string | undefined;
    let paymentId: string | undefined;
    for (const query of operations) {
      const name = /^(?:query|mutation) (\w+)/.exec(query)![1];
      const variables = query.includes("$orderId") ? { orderId } : query.includes("$paymentId") ? { paymentId } : undefined;
      const body = await server.gql(query, variables);
      expect(body.errors, name).toBeUndefined();
      if (name === "PayLater") orderId = body.data.checkout.order.id;
      if (name === "Pay") paymentId = body.data.processPayment.payment.id;
      if (name === "Cancel") expect(body.data.cancelOrder.order).toMatchObject({ status: "CANCELLED", payments: [{ status: "REFUNDED" }] });
    }
  });
});
