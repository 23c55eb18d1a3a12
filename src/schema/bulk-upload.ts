import { builder } from "./builder.js";
import { parseId } from "./fields.js";
import { BulkUploadJobStatus } from "../generated/sqlite/enums.js";
import { importCsvUpload } from "../services/bulk-import/uploads.js";
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

export const Job = builder.objectRef<BulkUploadJob>("BulkUploadJob").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    status: t.expose("status", { type: BulkUploadJobStatus }),
    fileName: t.exposeString("fileName", { nullable: true }),
    dryRun: t.exposeBoolean("dryRun"),
    allowZeroPrices: t.exposeBoolean("allowZeroPrices"),
    totalRows: t.exposeInt("totalRows", { nullable: true }),
    processedRows: t.exposeInt("processedRows"),
    succeededRows: t.exposeInt("succeededRows"),
    failedRows: t.exposeInt("failedRows"),
    progress: t.float({ description: "0..1: rows over the total once known, until then the share of the file read", resolve: jobProgress }),
    errorMessage: t.exposeString("errorMessage", { nullable: true }),
    errors: t.field({ type: [RowError], description: "The first 100 row errors", resolve: (job) => job.errors }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
  }),
});

const BulkUploadPayload = builder.objectRef<{ job: BulkUploadJob; replayed: boolean }>("BulkUploadPayload").implement({
  fields: (t) => ({
    job: t.field({ type: Job, resolve: (p) => p.job }),
    replayed: t.exposeBoolean("replayed"),
  }),
});

builder.mutationFields((t) => ({
  bulkUploadProducts: t.field({
    authScopes: { admin: "import products" },
    type: BulkUploadPayload,
    description: "Queues a CSV import (sku,name,description,price,stockQuantity); poll bulkUploadJob(id) for progress",
    args: {
      file: t.arg({ type: "Upload", required: true }),
      idempotencyKey: t.arg.string(),
      dryRun: t.arg.boolean({ defaultValue: false, required: true }),
      allowZeroPrices: t.arg.boolean({ defaultValue: false, required: true, description: "Import rows priced 0 (by default each is a row error)" }),
    },
    resolve: async (_root, { file, idempotencyKey, dryRun, allowZeroPrices }, ctx) => {
      const upload = await file;
      return importCsvUpload(
        ctx.principal,
        { stream: upload.createReadStream(), mimeType: upload.mimetype, fileName: upload.filename },
        { dryRun, allowZeroPrices, idempotencyKey },
      );
    },
  }),
}));

builder.queryFields((t) => ({
  bulkUploadJob: t.field({
    authScopes: { admin: "see bulk upload jobs" },
    type: Job,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => findBulkUploadJob(ctx.principal, parseId(args.id)),
  }),
}));
