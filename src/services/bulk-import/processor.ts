import { rm } from "node:fs/promises";
import { db } from "../../db/index.js";
import type { Logger } from "../../lib/logger.js";
import { readCsv, type Checkpoint } from "./parser.js";
import { checkHeader, parseProductRow, type ProductRow } from "./rows.js";
import { LeaseLostError, writeBatchSqlite, type Batch } from "./sqlite-writer.js";

export interface ProcessOptions {
  workerId: string;
  batchSize: number;
  leaseMs: number;
  logger: Logger;
  /** Aborting stops at the next batch boundary; the job stays resumable. */
  signal?: AbortSignal;
  onBatch?: (counts: Batch["counts"]) => void;
}

type Job = NonNullable<Awaited<ReturnType<typeof loadJob>>>;

function loadJob(id: number) {
  return db().bulkUploadJob.findUnique({ where: { id } });
}

/**
 * Processes a job this worker has claimed, from its checkpoint to the end of
 * the file, one committed batch at a time. Returns "completed", "failed" or
 * "stopped" (aborted or lease lost; another run resumes from the checkpoint).
 */
export async function processJob(jobId: number, options: ProcessOptions): Promise<"completed" | "failed" | "stopped"> {
  const job = await loadJob(jobId);
  if (!job || job.status !== "PROCESSING" || job.workerId !== options.workerId) return "stopped";
  const log = options.logger.child({ jobId });
  let columns: string[] | null = job.columns ? (JSON.parse(job.columns) as string[]) : null;
  const counts = { processed: job.processedRows, succeeded: job.succeededRows, failed: job.failedRows };
  let position: Checkpoint = { byte: job.checkpointByte, line: job.checkpointLine, row: job.processedRows };
  let rows: ProductRow[] = [];
  let errors: Batch["errors"] = [];
  let pending = 0;

  const flush = async () => {
    await writeBatchSqlite({
      jobId,
      workerId: options.workerId,
      dryRun: job.dryRun,
      rows,
      errors,
      checkpoint: position,
      counts: { ...counts },
      leaseUntil: new Date(Date.now() + options.leaseMs),
    });
    options.onBatch?.({ ...counts });
    rows = [];
    errors = [];
    pending = 0;
  };

  try {
    for await (const record of readCsv(job.filePath, position)) {
      if (record.kind === "header") {
        const header = checkHeader(record.fields);
        if ("error" in header) return await fail(job, header.error, log);
        columns = header.columns;
        await db().bulkUploadJob.update({ where: { id: jobId }, data: { columns: JSON.stringify(columns) } });
        position = record.next;
        continue;
      }
      if (!columns) return await fail(job, "The file has no header line", log);
      const parsed = parseProductRow(columns, record.fields);
      counts.processed++;
      if ("row" in parsed) {
        rows.push(parsed.row);
        counts.succeeded++;
      } else {
        for (const e of parsed.errors) errors.push({ ...e, row: record.row, line: record.line });
        counts.failed++;
      }
      position = record.next;
      if (++pending >= options.batchSize) {
        await flush();
        if (options.signal?.aborted) return "stopped";
      }
    }
    if (!columns) return await fail(job, "The file is empty: expected a header line", log);
    await flush();
  } catch (error) {
    if (error instanceof LeaseLostError) return "stopped";
    if (isCsvError(error)) return await fail(job, `Unreadable CSV at line ${error.lines ?? "?"}: ${error.message}`, log);
    throw error;
  }

  await db().bulkUploadJob.updateMany({
    where: { id: jobId, workerId: options.workerId },
    data: { status: "COMPLETED", totalRows: counts.processed, finishedAt: new Date(), leaseExpiresAt: null },
  });
  log.info({ ...counts }, "bulk job completed");
  await rm(job.filePath, { force: true });
  return "completed";
}

async function fail(job: Job, message: string, log: Logger): Promise<"failed"> {
  await db().bulkUploadJob.update({
    where: { id: job.id },
    data: { status: "FAILED", errorMessage: message, finishedAt: new Date(), leaseExpiresAt: null },
  });
  log.warn({ reason: message }, "bulk job failed");
  await rm(job.filePath, { force: true });
  return "failed";
}

function isCsvError(error: unknown): error is Error & { code: string; lines?: number } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string" && error.name === "CsvError";
}
