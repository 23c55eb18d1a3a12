import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { rm } from "node:fs/promises";
import { db, sqlTransaction } from "../../db/index.js";
import { publish } from "../events/index.js";
import type { Logger } from "../../lib/logger.js";
import type { CsvLimits } from "./csv-reader.js";
import { processJob } from "./processor.js";
import { claimJob, giveUpJob, releaseLease } from "./sql.js";

const idleWorkers = new Set<() => void>();

/** Wakes this process's workers: a job was just queued. */
export function announceJobQueued(): void {
  for (const wake of idleWorkers) wake();
}

export interface WorkerOptions {
  pollIntervalMs: number;
  leaseMs: number;
  csvLimits: CsvLimits;
  /** Claims a job gets before it is FAILED instead (BULK_JOB_MAX_ATTEMPTS). */
  maxAttempts: number;
  batchSize: number;
  logger: Logger;
}

export interface BulkImportWorker {
  readonly workerId: string;
  /** Looks for work now instead of at the next poll (a job was just queued). */
  notify(): void;
  /** Stops after the current batch; the job keeps its checkpoint and lease expiry for the next taker. */
  stop(): Promise<void>;
}

/**
 * Claims the oldest QUEUED job, or a PROCESSING job whose lease lapsed (its
 * worker died), with a conditional update: one taker, even across processes.
 * Each claim counts an attempt; a job whose attempts are spent (it crashed the
 * process or failed that many times) goes FAILED instead of being taken again,
 * so one poisonous file cannot crash the gateway in a loop.
 */
export async function claimNextJob(workerId: string, leaseMs: number, maxAttempts: number, now = new Date()): Promise<number | null> {
  const claimable = {
    OR: [{ status: "QUEUED" as const }, { status: "PROCESSING" as const, leaseExpiresAt: { lt: now } }],
  };
  for (;;) {
    const candidate = await db().bulkUploadJob.findFirst({ where: claimable, orderBy: { id: "asc" }, select: { id: true, startedAt: true, attempts: true } });
    if (!candidate) return null;
    if (candidate.attempts >= maxAttempts) {
      await giveUp(candidate, now);
      continue;
    }
    const leaseUntil = new Date(now.getTime() + leaseMs);
    if (await sqlTransaction((sql) => claimJob(sql, candidate, workerId, leaseUntil, now))) {
      publish("bulkJob", candidate.id);
      return candidate.id;
    }
  }
}

async function giveUp(job: { id: number; attempts: number }, now: Date): Promise<void> {
  const errorMessage = `Gave up after ${job.attempts} attempts: each run ended in a crash or an unexpected error (the server log has them under this job id)`;
  if (await sqlTransaction((sql) => giveUpJob(sql, job, errorMessage, now))) {
    publish("bulkJob", job.id);
    const found = await db().bulkUploadJob.findUnique({ where: { id: job.id }, select: { filePath: true } });
    if (found) await rm(found.filePath, { force: true });
  }
}

export function startBulkImportWorker(options: WorkerOptions): BulkImportWorker {
  const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const log = options.logger.child({ component: "bulk-import", workerId });
  const abort = new AbortController();
  let wake: (() => void) | undefined;

  const notify = () => wake?.();
  idleWorkers.add(notify);
  const loop = (async () => {
    while (!abort.signal.aborted) {
      try {
        const jobId = await claimNextJob(workerId, options.leaseMs, options.maxAttempts);
        if (jobId !== null) {
          log.info({ jobId }, "bulk job claimed");
          const result = await processJob(jobId, { ...options, workerId, logger: log, signal: abort.signal });
          if (result === "stopped") await sqlTransaction((sql) => releaseLease(sql, jobId, workerId, new Date()));
          continue;
        }
      } catch (error) {
        log.error({ err: error }, "bulk worker pass failed");
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollIntervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();

  return {
    workerId,
    notify,
    async stop() {
      idleWorkers.delete(notify);
      abort.abort();
      wake?.();
      await loop;
    },
  };
}
