import { db, type Prisma } from "../../db/index.js";
import { NotFoundError } from "../../errors.js";

export const JOB_ERRORS_SHOWN = 100;

const jobDetails = {
  errors: { orderBy: { row: "asc" }, take: JOB_ERRORS_SHOWN },
} satisfies Prisma.BulkUploadJobInclude;

export type BulkUploadJob = Prisma.BulkUploadJobGetPayload<{ include: typeof jobDetails }>;

export function findBulkUploadJob(id: number): Promise<BulkUploadJob | null> {
  return db().bulkUploadJob.findUnique({ where: { id }, include: jobDetails });
}

export async function getBulkUploadJob(id: number): Promise<BulkUploadJob> {
  const job = await findBulkUploadJob(id);
  if (!job) throw new NotFoundError("Bulk upload job", id);
  return job;
}

/** Share of rows processed, 0..1; null until the total is known. */
export function jobProgress(job: { status: string; totalRows: number | null; processedRows: number }): number | null {
  if (job.status === "COMPLETED") return 1;
  if (job.totalRows === null) return null;
  if (job.totalRows === 0) return 1;
  return Math.min(1, job.processedRows / job.totalRows);
}
