import { builder } from "./builder.js";
import { parseId } from "./scalars.js";
import { BulkUploadJobStatus } from "../generated/sqlite/enums.js";
import { findBulkUploadJob, jobProgress, type BulkUploadJob } from "../services/bulk-import/jobs.js";

builder.enumType(BulkUploadJobStatus, { name: "BulkUploadJobStatus" });

const RowError = builder.objectRef<BulkUploadJob["errors"][number]>("BulkUploadRowError").implement({
  fields: (t) => ({
    row: t.exposeInt("row", { description: "1-based data row (the header is not counted)" }),
    line: t.exposeInt("line", { description: "Physical line where the record starts" }),
    column: t.exposeString("column", { nullable: true }),
    message: t.exposeString("message"),
  }),
});

const Job = builder.objectRef<BulkUploadJob>("BulkUploadJob").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    status: t.expose("status", { type: BulkUploadJobStatus }),
    fileName: t.exposeString("fileName", { nullable: true }),
    dryRun: t.exposeBoolean("dryRun"),
    totalRows: t.exposeInt("totalRows", { nullable: true }),
    processedRows: t.exposeInt("processedRows"),
    succeededRows: t.exposeInt("succeededRows"),
    failedRows: t.exposeInt("failedRows"),
    progress: t.float({ nullable: true, description: "0..1, null until the row count is known", resolve: jobProgress }),
    errorMessage: t.exposeString("errorMessage", { nullable: true }),
    errors: t.field({ type: [RowError], description: "The first 100 row errors", resolve: (job) => job.errors }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
  }),
});

builder.queryFields((t) => ({
  bulkUploadJob: t.field({
    type: Job,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args) => findBulkUploadJob(parseId(args.id)),
  }),
}));
