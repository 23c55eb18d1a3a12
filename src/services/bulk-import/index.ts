/**
 * Bulk CSV import (docs/bulk-import.md): uploads stored and queued as jobs
 * (./uploads.ts), read by the worker in checkpointed batches (./worker.ts,
 * ./processor.ts), their progress and row errors read back (./jobs.ts).
 */
export { findBulkUploadJob, getBulkUploadJob, jobProgress, type BulkUploadJob } from "./jobs.js";
export { sampleCsv } from "./sample-csv.js";
export { assertCsvUpload, assertMayImport, createBulkUploadJob, importCsvUpload, storeUpload, UploadTooLargeError, type ImportOptions, type IncomingCsv, type StoredUpload } from "./uploads.js";
export { startBulkImportWorker, type BulkImportWorker, type WorkerOptions } from "./worker.js";
