import { execFile } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Gateway } from "./gateway.js";

const run = promisify(execFile);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One fault, injected at a random moment: the harness calls it `kills` times per scenario. */
export type Fault = (gateways: Gateway[]) => Promise<void>;

/** SIGKILL the last gateway, then start it again (the others keep serving). */
export const killGateway: Fault = async (gateways) => {
  const target = gateways.at(-1)!;
  await target.stop("SIGKILL");
  await target.start();
};

/** PostgreSQL stopped (fast shutdown: sessions cut) and started again 1.5 s later, under the gateway's feet. */
export const restartPostgres: Fault = async () => {
  const cluster = process.env.TEST_POSTGRES_CLUSTER?.split(" ");
  if (cluster?.length !== 2) throw new Error("restarting PostgreSQL needs TEST_POSTGRES_CLUSTER (scripts/with-postgres.sh sets it)");
  await run("pg_ctlcluster", [cluster[0]!, cluster[1]!, "stop", "-m", "fast"]);
  await pause(1_500);
  await run("pg_ctlcluster", [cluster[0]!, cluster[1]!, "start"]);
};

/** A small tmpfs volume for the SQLite file, so the disk can really fill; undefined when this machine cannot mount one. */
export async function smallVolume(dir: string, megabytes: number): Promise<{ dir: string; release(): Promise<void> } | undefined> {
  mkdirSync(dir, { recursive: true });
  try {
    await run("mount", ["-t", "tmpfs", "-o", `size=${megabytes}m`, "tmpfs", dir]);
  } catch {
    return undefined;
  }
  return { dir, release: async () => void (await run("umount", ["-l", dir]).catch(() => undefined)) };
}

/** The volume fills up (a filler file takes every free byte) for 2 s, then the space comes back. */
export function fillDisk(dir: string): Fault {
  return async () => {
    const filler = join(dir, "filler");
    const fd = openSync(filler, "w");
    const block = Buffer.alloc(1 << 20);
    try {
      for (;;) writeSync(fd, block);
    } catch {
      // ENOSPC: full
    } finally {
      closeSync(fd);
    }
    await pause(2_000);
    rmSync(filler, { force: true });
  };
}
