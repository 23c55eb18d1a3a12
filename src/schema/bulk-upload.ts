import { builder } from "./builder.js";
import { parseId } from "./fields.js";
import { BulkUploadJobStatus } from "../generated/sqlite/enums.js";
import { type BulkUploadJob, findBulkUploadJob, importCsvUpload, jobProgress } from "../services/bulk-import/index.js";

builder.enumType(BulkUploadJobStatus, {
  name: "BulkUploadJobStatus",
  description: "Where a bulk import job is: QUEUED -> PROCESSING -> COMPLETED or FAILED.",
  values: {
    QUEUED: { description: "Stored and waiting for a worker." },
    PROCESSING: { description: "A worker is importing it, batch by batch." },
    COMPLETED: { description: "Every row was read; row-level problems are in errors and failedRows. Final." },
    FAILED: { description: "Stopped for good (bad header, unreadable or empty CSV, too many crashed attempts): errorMessage says why, and the batches committed before stay. Final." },
  },
});

const RowError = builder.objectRef<BulkUploadJob["errors"][number]>("BulkUploadRowError").implement({
  description: "A problem with a CSV row or one of its fields (a row may have several); the row was not imported.",
  fields: (t) => ({
    row: t.exposeInt("row", { description: "1-based data row (the header is not counted)." }),
    line: t.exposeInt("line", { description: "1-based physical line where the record starts (quoted fields may span lines)." }),
    column: t.exposeString("column", { nullable: true, description: "The column at fault, such as price; null when the row as a whole is wrong (its field count)." }),
    message: t.exposeString("message", { description: "What is wrong, as text for people." }),
  }),
});

export const Job = builder.objectRef<BulkUploadJob>("BulkUploadJob").implement({
  description: "A CSV product import running in the background. Admins only.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The job's database id, the same as in REST." }),
    status: t.expose("status", { type: BulkUploadJobStatus, description: "Where the job is." }),
    fileName: t.exposeString("fileName", { nullable: true, description: "The uploaded file's name (at most 255 characters); null when none was sent." }),
    dryRun: t.exposeBoolean("dryRun", { description: "True when the rows are only validated: no product is written." }),
    allowZeroPrices: t.exposeBoolean("allowZeroPrices", { description: "True when rows priced 0 are imported; otherwise each is a row error." }),
    totalRows: t.exposeInt("totalRows", { nullable: true, description: "The file's data rows, known once the job is COMPLETED; null before." }),
    processedRows: t.exposeInt("processedRows", { description: "Data rows read and committed so far." }),
    succeededRows: t.exposeInt("succeededRows", { description: "Rows that passed validation: imported, or only validated in a dry run." }),
    failedRows: t.exposeInt("failedRows", { description: "Rows with at least one error; they were not imported." }),
    progress: t.float({ description: "From 0 to 1: rows over the total once known, until then the share of the file read.", resolve: jobProgress }),
    errorMessage: t.exposeString("errorMessage", { nullable: true, description: "Why the job FAILED, as text for people; null otherwise." }),
    errors: t.field({
      type: [RowError],
      description: "The first 100 row errors in row order; REST GET /api/products/bulk-upload/{id}/errors streams them all as CSV.",
      resolve: (job) => job.errors,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the upload was stored and the job queued." }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true, description: "When a worker first took the job; null while QUEUED." }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true, description: "When the job became COMPLETED or FAILED; null before." }),
  }),
});

const BulkUploadPayload = builder.objectRef<{ job: BulkUploadJob; replayed: boolean }>("BulkUploadPayload").implement({
  description: "The result of bulkUploadProducts: the job that imports the file.",
  fields: (t) => ({
    job: t.field({ type: Job, description: "The job, as it is now.", resolve: (p) => p.job }),
    replayed: t.exposeBoolean("replayed", { description: "True when the idempotency key had already queued this job for the same file: nothing new was queued." }),
  }),
});

builder.mutationFields((t) => ({
  bulkUploadProducts: t.field({
    authScopes: { admin: "import products" },
    type: BulkUploadPayload,
    description:
      "Admins only: stores a CSV file and queues its import; follow it with bulkUploadJob(id) or bulkUploadJobProgress(id). Errors: UNSUPPORTED_MEDIA_TYPE, PAYLOAD_TOO_LARGE, VALIDATION_FAILED, IDEMPOTENCY_KEY_REUSED, IDEMPOTENCY_KEY_IN_USE, RATE_LIMITED.",
    args: {
      file: t.arg({
        type: "Upload",
        required: true,
        description: "A CSV (text/csv, or a .csv name) with a header of sku,name,description,price,stockQuantity (name, price and stockQuantity required); price is a decimal such as 19.99, not cents, and a row whose sku exists replaces that product's fields.",
      }),
      idempotencyKey: t.arg.string({
        description: "Optional, 1-255 printable ASCII characters, scoped to the admin: the same key with the same file and flags returns the same job (replayed: true); with anything else it is IDEMPOTENCY_KEY_REUSED.",
      }),
      dryRun: t.arg.boolean({ defaultValue: false, required: true, description: "Validate every row and record the errors without writing any product." }),
      allowZeroPrices: t.arg.boolean({ defaultValue: false, required: true, description: "Import rows priced 0 (by default each is a row error)." }),
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
    description: "Admins only: a bulk import job by id; null when there is none.",
    args: { id: t.arg.id({ required: true, description: "The job's id, a positive integer (else VALIDATION_FAILED)." }) },
    resolve: (_root, args, ctx) => findBulkUploadJob(ctx.principal, parseId(args.id)),
  }),
}));
