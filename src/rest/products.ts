import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Router } from "express";
import { z } from "zod";
import type { Config } from "../config.js";
import { jsonBody } from "../edge/body.js";
import { inChunks } from "../lib/chunks.js";
import { id, parseInput } from "../lib/validation.js";
import { pageRequestSchema } from "../services/pagination.js";
import { createProduct, getProduct, listProducts } from "../services/products/index.js";
import { getBulkUploadJob, jobErrorsCsv } from "../services/bulk-import/jobs.js";
import { assertMayImport, importCsvUpload } from "../services/bulk-import/uploads.js";
import { incomingCsv } from "./uploads.js";
import { SAMPLE_CSV_MAX_ROWS, sampleCsv } from "../services/bulk-import/sample-csv.js";
import { currentPrincipal } from "../lib/request-context.js";
import { bulkUploadJobJson, productJson } from "./serializers.js";
import { methodNotAllowed, sendPage } from "./http.js";
import { decimalToCents } from "./translate.js";

const flag = z.enum(["true", "false", "1", "0"], { error: "must be true or false" }).optional().transform((v) => v === "true" || v === "1");
export const bulkUploadQuery = z.object({ dryRun: flag, allowZeroPrices: flag });

export const sampleCsvParams = z.object({
  rows: z.coerce.number().int("must be an integer").min(0, "must not be negative").max(SAMPLE_CSV_MAX_ROWS, `must be at most ${SAMPLE_CSV_MAX_ROWS}`),
});
export const sampleCsvQuery = z.object({
  invalidFraction: z.coerce.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").default(0),
});

export function productRoutes(config: Config): Router {
  const router = Router();
  const json = jsonBody(config.JSON_BODY_LIMIT_BYTES);
  const pageRequest = pageRequestSchema(config.DEFAULT_PAGE_SIZE, config.MAX_PAGE_SIZE);

  router.get("/", async (req, res) => {
    const page = await listProducts(parseInput(pageRequest, req.query));
    sendPage(req, res, page, productJson);
  });

  router.post("/", json, async (req, res) => {
    const product = await createProduct(currentPrincipal(), decimalToCents(req.body, "price", "priceCents", { required: true }) as Record<string, unknown>);
    res.status(201).location(`/api/products/${product.id}`).json(productJson(product));
  });

  router.post("/bulk-upload", async (req, res) => {
    const { dryRun, allowZeroPrices } = parseInput(bulkUploadQuery, req.query);
    try {
      const principal = currentPrincipal();
      assertMayImport(principal);
      const { job, replayed } = await importCsvUpload(principal, await incomingCsv(req), {
        dryRun,
        allowZeroPrices,
        idempotencyKey: req.get("Idempotency-Key"),
      });
      if (replayed) res.setHeader("Idempotent-Replayed", "true");
      res.status(202).location(`/api/products/bulk-upload/${job.id}`).json(bulkUploadJobJson(job));
    } catch (error) {
      // Do not read the rest of a refused upload: answer and close the connection.
      if (!req.complete) res.setHeader("Connection", "close");
      throw error;
    }
  });

  router.get("/bulk-upload/:jobId/errors", async (req, res) => {
    const jobId = parseInput(id, req.params.jobId, "jobId");
    const lines = jobErrorsCsv(currentPrincipal(), jobId);
    const first = await lines.next(); // 404 before any byte is sent
    res.setHeader("Content-Type", "text/csv; charset=utf-8");
    res.setHeader("Content-Disposition", `attachment; filename="bulk-upload-${jobId}-errors.csv"`);
    res.write(first.value);
    await pipeline(Readable.from(inChunks(lines)), res);
  });

  router.get("/bulk-upload/:jobId", async (req, res) => {
    const jobId = parseInput(id, req.params.jobId, "jobId");
    res.json(bulkUploadJobJson(await getBulkUploadJob(currentPrincipal(), jobId)));
  });

  router.get("/sample-csv/:rows", async (req, res) => {
    const { rows } = parseInput(sampleCsvParams, req.params);
    const { invalidFraction } = parseInput(sampleCsvQuery, req.query);
    const lines = sampleCsv(currentPrincipal(), rows, invalidFraction);
    res.setHeader("Content-Type", "text/csv; charset=utf-8");
    res.setHeader("Content-Disposition", `attachment; filename="products-sample-${rows}.csv"`);
    await pipeline(Readable.from(inChunks(lines)), res);
  });

  router.get("/:productId", async (req, res) => {
    res.json(productJson(await getProduct(parseInput(id, req.params.productId, "productId"))));
  });

  router.use(methodNotAllowed(router));
  return router;
}
