import { rm } from "node:fs/promises";
import { publish } from "../events/index.js";
import { db, sqlTransaction } from "../../db/index.js";
import { businessMetrics } from "../../lib/metrics.js";
import { linkTo, SpanKind, withSpan } from "../../lib/tracing.js";
import type { Logger } from "../../lib/logger.js";
import { CsvFormatError, readCsvRecords, type CsvLimits } from "./csv-reader.js";
import { checkHeader, rowParser, type ProductRow, type RowParser } from "./rows.js";
import { LeaseLostError, writeProductBatch, type Batch } from "./batch-writer.js";
import { completeJob, failJob, saveHeader } from "./sql.js";

export interface ProcessOptions {
  workerId: string;
  batchSize: number;
  leaseMs: number;
  csvLimits: CsvLimits;
  logger: Logger;
  /** Aborting stops at the next batch boundary; the job stays resumable. */
  signal?: AbortSignal;
  onBatch?: (counts: Batch["counts"]) => void;
}

export interface Checkpoint {
  byte: number;
  line: number;
  row: number;
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
  // A run is a span linked to the upload's request; each batch is a span in it.
  const attributes = { "import.job.id": jobId, "import.attempt": job.attempts, "import.dry_run": job.dryRun };
  return withSpan("import job", { kind: SpanKind.CONSUMER, attributes, links: linkTo(job.traceContext) }, () => runJob(job, options));
}

async function runJob(job: Job, options: ProcessOptions): Promise<"completed" | "failed" | "stopped"> {
  const jobId = job.id;
  // The upload's request id follows the job into the worker's log lines.
  const log = options.logger.child({ jobId, requestId: job.requestId ?? undefined });
  const rules = { allowZeroPrices: job.allowZeroPrices };
  // The header's columns hold only with the checkpoint past the header (both commit together); a job
  // whose columns were saved alone (before that was so) reads its header again.
  let parseRow: RowParser | null = job.columns && job.checkpointByte > 0 ? rowParser(JSON.parse(job.columns) as string[], rules) : null;
  const counts = { processed: job.processedRows, succeeded: job.succeededRows, failed: job.failedRows };
  let position: Checkpoint = { byte: job.checkpointByte, line: job.checkpointLine, row: job.processedRows };
  let row = job.processedRows;
  let rows: ProductRow[] = [];
  let errors: Batch["errors"] = [];
  let pending = 0;
  let failedInBatch = 0;

  const flush = () => withSpan("import batch", { attributes: { "import.rows": rows.length, "import.checkpoint.line": position.line } }, writeBatch);
  const writeBatch = async () => {
    await writeProductBatch({
      jobId,
      workerId: options.workerId,
      dryRun: job.dryRun,
      rows,
      errors,
      checkpoint: position,
      counts: { ...counts },
      leaseUntil: new Date(Date.now() + options.leaseMs),
    });
    businessMetrics.bulkRows.inc({ result: job.dryRun ? "validated" : "succeeded" }, rows.length);
    businessMetrics.bulkRows.inc({ result: "failed" }, failedInBatch);
    failedInBatch = 0;
    options.onBatch?.({ ...counts });
    publish("bulkJob", jobId);
    rows = [];
    errors = [];
    pending = 0;
  };

  try {
    for await (const records of readCsvRecords(job.filePath, position, options.csvLimits)) {
      for (const record of records) {
        if (!parseRow) {
          const header = checkHeader(record.fields);
          if ("error" in header) return await fail(job, header.error, log);
          parseRow = rowParser(header.columns, rules);
          position = { byte: record.endByte, line: record.nextLine, row };
          // Columns and the checkpoint past the header commit together: a crash in between cannot make
          // a resumed run read the header line as a row. Fenced by the claim, as every batch is.
          const saved = await sqlTransaction((sql) => saveHeader(sql, jobId, options.workerId, header.columns, position, new Date()));
          if (!saved) return "stopped";
          continue;
        }
        row++;
        const parsed = parseRow(record.fields);
        counts.processed++;
        if ("row" in parsed) {
          rows.push(parsed.row);
          counts.succeeded++;
        } else {
          for (const e of parsed.errors) errors.push({ ...e, row, line: record.line });
          counts.failed++;
          failedInBatch++;
        }
        position = { byte: record.endByte, line: record.nextLine, row };
        if (++pending >= options.batchSize) {
          await flush();
          if (options.signal?.aborted) return "stopped";
        }
      }
    }
    if (!parseRow) return await fail(job, "The file is empty: expected a header line", log);
    await flush();
  } catch (error) {
    if (error instanceof LeaseLostError) return "stopped";
    if (error instanceof CsvFormatError) return await fail(job, `Unreadable CSV: ${error.message}`, log);
    throw error;
  }

  await sqlTransaction((sql) => completeJob(sql, jobId, options.workerId, counts.processed, new Date()));
  log.info({ ...counts }, "bulk job completed");
  publish("bulkJob", jobId);
  await rm(job.filePath, { force: true });
  return "completed";
}

async function fail(job: Job, message: string, log: Logger): Promise<"failed"> {
  await sqlTransaction((sql) => failJob(sql, job.id, message, new Date()));
  log.warn({ reason: message }, "bulk job failed");
  publish("bulkJob", job.id);
  await rm(job.filePath, { force: true });
  return "failed";
}
