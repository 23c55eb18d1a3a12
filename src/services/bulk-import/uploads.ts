import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sqlTransaction, type Sql } from "../../db/sql.js";
import { requestOrigin } from "../../lib/request-context.js";
import { DomainError, ValidationError } from "../../errors.js";
import { fingerprint, finish, type IdempotentRequest, isValidIdempotencyKey, runFlow } from "../idempotency/index.js";
import { type Admin, requireAdmin, settings } from "../common/index.js";
import type { Principal } from "../../auth/principal.js";
import { auditAdminWrite } from "../audit/index.js";
import { consumeRateLimit } from "../rate-limits/index.js";
import { queuedJob, type BulkUploadJob } from "./jobs.js";
import { insertJob, type NewJob } from "./sql.js";
import { announceJobQueued } from "./worker.js";

export interface StoredUpload {
  path: string;
  sizeBytes: number;
  sha256: string;
  fileName: string | null;
}

export class UploadTooLargeError extends DomainError {
  constructor(maxBytes: number) {
    super("PAYLOAD_TOO_LARGE", `The file is larger than the limit of ${maxBytes} bytes`, { maxBytes });
  }
}

const CSV_TYPES = new Set(["text/csv", "application/csv", "text/plain", "application/vnd.ms-excel", "application/octet-stream"]);

/** A CSV by its declared type or, for generic types, its name. Anything else is 415. */
export function assertCsvUpload(mimeType: string | undefined, fileName: string | null): void {
  const type = (mimeType ?? "").split(";")[0]!.trim().toLowerCase();
  const generic = type === "application/octet-stream" || type === "text/plain" || type === "";
  if ((CSV_TYPES.has(type) && !generic) || (generic && (fileName ?? "").toLowerCase().endsWith(".csv"))) return;
  if (generic && !fileName) return; // a raw text/plain body: the parser decides
  throw new DomainError("UNSUPPORTED_MEDIA_TYPE", `Expected a CSV file (text/csv), got ${type || "no type"}`);
}

/**
 * Streams an upload to disk (constant memory), hashing it on the way, and stops
 * with 413 as soon as it passes maxBytes. The partial file is removed on any failure.
 */
export async function storeUpload(source: Readable, options: { dir: string; maxBytes: number; fileName?: string | null }): Promise<StoredUpload> {
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const path = resolve(join(options.dir, `${randomUUID()}.csv`));
  const hash = createHash("sha256");
  let sizeBytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sizeBytes += chunk.length;
      if (sizeBytes > options.maxBytes) return done(new UploadTooLargeError(options.maxBytes));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, meter, createWriteStream(path));
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  return { path, sizeBytes, sha256: hash.digest("hex"), fileName: options.fileName ?? null };
}

/**
 * Queues a job for a stored upload. With an idempotency key, the same key and
 * the same file (by hash) return the same job; the same key with another file is 422.
 */
export async function createBulkUploadJob(
  principal: Admin,
  upload: StoredUpload,
  options: ImportOptions,
): Promise<{ job: BulkUploadJob; replayed: boolean }> {
  const data = {
    filePath: upload.path,
    fileName: upload.fileName?.slice(0, 255) ?? null,
    fileSizeBytes: upload.sizeBytes,
    dryRun: options.dryRun,
    allowZeroPrices: options.allowZeroPrices,
    ...requestOrigin(),
  };
  // The job and the admin's audit event commit together.
  const queue = async (sql: Sql) => {
    const jobId = await insertJob(sql, data);
    const details = { fileName: data.fileName, fileSizeBytes: data.fileSizeBytes, sha256: upload.sha256, dryRun: data.dryRun, allowZeroPrices: data.allowZeroPrices };
    await auditAdminWrite(sql, principal, { action: "product.import", subjectType: "BulkUploadJob", subjectId: jobId, details });
    return jobId;
  };
  const key = options.idempotencyKey;
  try {
    if (key === undefined || key === null || key === "") {
      return { job: await queuedJob(await sqlTransaction(queue)), replayed: false };
    }
    return await createOnce(principal, key, upload, data, queue);
  } catch (error) {
    await rm(upload.path, { force: true });
    throw error;
  }
}

/** One step: the job is queued in the transaction that claims the key (scoped to the admin). */
async function createOnce(
  principal: Admin,
  key: string,
  upload: StoredUpload,
  data: NewJob,
  queue: (sql: Sql) => Promise<number>,
): Promise<{ job: BulkUploadJob; replayed: boolean }> {
  if (!isValidIdempotencyKey(key)) throw ValidationError.field("idempotencyKey", "must be 1-255 printable ASCII characters");
  const request: IdempotentRequest = {
    scope: `admin:${principal.sub}`,
    operation: "bulk_upload",
    key,
    fingerprint: fingerprint({ sha256: upload.sha256, dryRun: data.dryRun, allowZeroPrices: data.allowZeroPrices }),
  };
  const { outcome, replayed } = await runFlow<null, { jobId: number }>(
    {
      steps: [{ kind: "transaction", name: "queue_job", resource: () => 0, run: async (sql) => finish({ ok: true, status: 202, value: { jobId: await queue(sql) } }) }],
      resume: () => Promise.resolve(null),
    },
    request,
    null,
  );
  if (replayed) await rm(upload.path, { force: true }); // the first upload's file is the job's
  if (!outcome.ok) throw outcome.error;
  return { job: await queuedJob(outcome.value.jobId), replayed };
}

export interface IncomingCsv {
  stream: Readable;
  mimeType?: string | undefined;
  fileName?: string | null;
}

export interface ImportOptions {
  dryRun: boolean;
  /** Rows priced 0 are imported (by default each is a row error). */
  allowZeroPrices: boolean;
  idempotencyKey?: string | null;
}

/** Only an admin imports products: checked before a door reads any of the upload. */
export function assertMayImport(principal: Principal): asserts principal is Admin {
  requireAdmin(principal, "import products");
}

/**
 * The whole upload step, for both doors: check the type, stream the file to
 * disk under the size limit, queue the job (idempotently), wake a worker.
 */
export async function importCsvUpload(
  principal: Principal,
  incoming: IncomingCsv,
  options: ImportOptions,
): Promise<{ job: BulkUploadJob; replayed: boolean }> {
  const fileName = incoming.fileName ?? null;
  try {
    await consumeRateLimit(principal, "upload");
    assertMayImport(principal);
    assertCsvUpload(incoming.mimeType, fileName);
  } catch (error) {
    incoming.stream.resume(); // drain what the client still sends
    throw error;
  }
  const { dir, maxBytes } = settings().uploads;
  const stored = await storeUpload(incoming.stream, { dir, maxBytes, fileName });
  const result = await createBulkUploadJob(principal, stored, options);
  if (!result.replayed) announceJobQueued();
  return result;
}
