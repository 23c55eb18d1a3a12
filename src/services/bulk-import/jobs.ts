import { db, type Prisma } from "../../db/index.js";
import type { Principal } from "../../auth/principal.js";
import { NotFoundError } from "../../errors.js";
import { requireAdmin } from "../common/index.js";

export const JOB_ERRORS_SHOWN = 100;

const jobDetails = {
  errors: { orderBy: { row: "asc" }, take: JOB_ERRORS_SHOWN },
} satisfies Prisma.BulkUploadJobInclude;

export type BulkUploadJob = Prisma.BulkUploadJobGetPayload<{ include: typeof jobDetails }>;

function loadJob(id: number): Promise<BulkUploadJob | null> {
  return db().bulkUploadJob.findUnique({ where: { id }, include: jobDetails });
}

/** A job by id, for an admin; null when there is none. */
export function findBulkUploadJob(principal: Principal, id: number): Promise<BulkUploadJob | null> {
  requireAdmin(principal, "see bulk upload jobs");
  return loadJob(id);
}

export async function getBulkUploadJob(principal: Principal, id: number): Promise<BulkUploadJob> {
  const job = await findBulkUploadJob(principal, id);
  if (!job) throw new NotFoundError("Bulk upload job", id);
  return job;
}

/** The job a door just queued (the upload already passed the admin check). */
export async function queuedJob(id: number): Promise<BulkUploadJob> {
  return (await loadJob(id))!;
}

/**
 * Progress 0..1: rows over the total once it is known, until then the share of
 * the file's bytes already committed (the file is read once, not counted first).
 */
export function jobProgress(job: {
  status: string;
  totalRows: number | null;
  processedRows: number;
  checkpointByte: number;
  fileSizeBytes: number;
}): number {
  if (job.status === "COMPLETED") return 1;
  if (job.totalRows !== null) return job.totalRows === 0 ? 1 : Math.min(1, job.processedRows / job.totalRows);
  if (job.fileSizeBytes === 0) return 0;
  return Math.min(1, Math.floor((job.checkpointByte / job.fileSizeBytes) * 10_000) / 10_000);
}

const ERROR_PAGE = 1_000;

/** Every row error of a job as CSV lines (`row,line,column,message`), read page by page. */
export async function* jobErrorsCsv(principal: Principal, jobId: number): AsyncGenerator<string> {
  await getBulkUploadJob(principal, jobId);
  yield "row,line,column,message\n";
  let after = 0;
  for (;;) {
    const page = await db().bulkUploadRowError.findMany({
      where: { jobId, id: { gt: after } },
      orderBy: { id: "asc" },
      take: ERROR_PAGE,
    });
    for (const e of page) yield `${e.row},${e.line},${csvField(e.column ?? "")},${csvField(e.message)}\n`;
    if (page.length < ERROR_PAGE) return;
    after = page.at(-1)!.id;
  }
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
