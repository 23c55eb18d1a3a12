import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

/**
 * scripts/with-postgres.sh, the helper CI and the fault tests run PostgreSQL
 * with: a cluster of its own that takes no password-less connection, and
 * that is gone when the command ends, also when the command fails. Runs in the
 * PostgreSQL pass (the package is installed), on another port.
 */
const clusters = () => execFileSync("pg_lsclusters", ["-h"], { encoding: "utf8" });

describe("the throwaway PostgreSQL cluster", () => {
  it("asks for its password, passes the command's failure on, and is removed afterwards", () => {
    const run = spawnSync(
      "bash",
      [
        "scripts/with-postgres.sh",
        "bash",
        "-c",
        // The URL works; the same URL without its password does not (no trust authentication).
        `psql "$TEST_POSTGRES_URL" -Atc 'select 1' && ! psql "$(echo "$TEST_POSTGRES_URL" | sed 's/:[^:@]*@/@/')" -w -Atc 'select 1' 2>/dev/null && echo "$TEST_POSTGRES_CLUSTER" && exit 3`,
      ],
      { env: { ...process.env, TEST_POSTGRES_PORT: "55433" }, encoding: "utf8", timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(3);
    const [selected, cluster] = run.stdout.trim().split("\n");
    expect(selected).toBe("1");
    expect(cluster).toMatch(/^\d+ shoptest\d+$/);
    expect(clusters()).not.toContain(cluster!.split(" ")[1]);
  }, 90_000);
});
