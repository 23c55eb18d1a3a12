import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sqlTransaction } from "../../db/sql.js";
import { requestContext } from "../../lib/request-context.js";
import { DomainError, ValidationError } from "../../errors.js";
import { finish, runFlow } from "../idempotency/flow.js";
import { fingerprint, isValidIdempotencyKey, type IdempotentRequest } from "../idempotency/keys.js";
import { settings } from "../settings.js";
import type { Principal } from "../../auth/principal.js";
import { requireAdmin } from "../access.js";
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
  await mkdir(options.dir, { recursive: true });
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
  upload: StoredUpload,
  options: { dryRun: boolean; idempotencyKey?: string | null },
): Promise<{ job: BulkUploadJob; replayed: boolean }> {
  const data = {
    filePath: upload.path,
    fileName: upload.fileName?.slice(0, 255) ?? null,
    fileSizeBytes: upload.sizeBytes,
    dryRun: options.dryRun,
    requestId: requestContext()?.requestId ?? null,
  };
  const key = options.idempotencyKey;
  try {
    if (key === undefined || key === null || key === "") {
      return { job: await queuedJob(await sqlTransaction((sql) => insertJob(sql, data))), replayed: false };
    }
    return await createOnce(key, upload, data);
  } catch (error) {
    await rm(upload.path, { force: true });
    throw error;
  }
}

/** One step: the job is queued in the transaction that claims the key. */
async function createOnce(key: string, upload: StoredUpload, data: NewJob): Promise<{ job: BulkUploadJob; replayed: boolean }> {
  if (!isValidIdempotencyKey(key)) throw ValidationError.field("idempotencyKey", "must be 1-255 printable ASCII characters");
  const request: IdempotentRequest = {
    scope: "bulk_upload",
    operation: "bulk_upload",
    key,
    fingerprint: fingerprint({ sha256: upload.sha256, dryRun: data.dryRun }),
  };
  const { outcome, replayed } = await runFlow<null, { jobId: number }>(
    {
      steps: [{ kind: "transaction", name: "queue_job", resource: () => 0, run: async (sql) => finish({ ok: true, status: 202, value: { jobId: await insertJob(sql, data) } }) }],
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

/**
 * The whole upload step, for both doors: check the type, stream the file to
 * disk under the size limit, queue the job (idempotently), wake a worker.
 */
/** Only an admin imports products: checked before a door reads any of the upload. */
export function assertMayImport(principal: Principal): void {
  requireAdmin(principal, "import products");
}

export async function importCsvUpload(
  principal: Principal,
  incoming: IncomingCsv,
  options: { dryRun: boolean; idempotencyKey?: string | null },
): Promise<{ job: BulkUploadJob; replayed: boolean }> {
  const fileName = incoming.fileName ?? null;
  try {
    assertMayImport(principal);
    assertCsvUpload(incoming.mimeType, fileName);
  } catch (error) {
    incoming.stream.resume(); // drain what the client still sends
    throw error;
  }
  const { dir, maxBytes } = settings().uploads;
  const stored = await storeUpload(incoming.stream, { dir, maxBytes, fileName });
  const result = await createBulkUploadJob(stored, options);
  if (!result.replayed) announceJobQueued();
  return result;
}
