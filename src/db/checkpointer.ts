import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { dbMetrics } from "../lib/metrics.js";

/**
 * SQLite copies the write-ahead log back into the database file (a
 * checkpoint) on the connection whose commit pushes the log past
 * `wal_autocheckpoint` pages: a request thread then spends its time
 * writing pages and syncing, with every other request waiting behind it
 * (bench/README.md has the measurement). A
 * worker thread with its own connection runs PASSIVE checkpoints instead,
 * which never block readers or writers. Under sustained writes they never
 * catch up with the last commit, so the commit that crosses the
 * autocheckpoint still checkpoints (and restarts the log); it only copies
 * what this thread has not, hence a short interval (docs/stack.md).
 */
export interface Checkpointer {
  stop(): Promise<void>;
}

/** Runs in the worker: one connection, a PASSIVE checkpoint every intervalMs; each that copied pages is reported. */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma("busy_timeout = " + workerData.busyTimeoutMs);
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
let copied = 0;
const timer = setInterval(() => {
  const started = performance.now();
  try {
    // checkpointed: frames copied so far in this log (it restarts once all are copied)
    const { checkpointed } = checkpoint.get();
    if (checkpointed !== copied && checkpointed > 0) parentPort.postMessage({ ms: performance.now() - started });
    copied = checkpointed;
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message) });
  }
}, workerData.intervalMs);
parentPort.on("message", () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

export function startCheckpointer(file: string, options: { intervalMs: number; busyTimeoutMs: number; onError(message: string): void }): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const { intervalMs, busyTimeoutMs } = options;
  const worker = new Worker(WORKER, { eval: true, workerData: { file, driver, intervalMs, busyTimeoutMs } });
  worker.unref();
  worker.on("message", (m: { ms: number } | { error: string }) => {
    if ("error" in m) return options.onError(m.error);
    dbMetrics.walCheckpoints.inc();
    dbMetrics.walCheckpointDuration.observe(m.ms / 1000);
  });
  worker.on("error", (error) => options.onError(error.message));
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return {
    async stop() {
      // Referenced again while it stops: an unreferenced worker's exit would not keep the
      // process alive, and shutdown would end here without its last steps.
      worker.ref();
      worker.postMessage("stop");
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
