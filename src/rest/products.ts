import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Response } from "express";
import { z } from "zod";
import type { Config } from "../config.js";
import { jsonBody } from "../edge/body.js";
import { inChunks } from "../lib/chunks.js";
import { id, parseInput } from "../lib/validation.js";
import { pageRequestSchema } from "../services/common/index.js";
import { createProduct, getProduct, listProducts, productInputSchema } from "../services/products/index.js";
import { getBulkUploadJob, jobErrorsCsv } from "../services/bulk-import/jobs.js";
import { assertMayImport, importCsvUpload } from "../services/bulk-import/index.js";
import { incomingCsv } from "./uploads.js";
import { SAMPLE_CSV_MAX_ROWS, sampleCsv } from "../services/bulk-import/sample-csv.js";
import { currentPrincipal } from "../lib/request-context.js";
import { bulkUploadJobJson, productJson } from "./serializers.js";
import { sendPage } from "./http.js";
import { decimalToCents } from "./translate.js";
import { accepts, asText, withDecimalMoney } from "./openapi/json-schema.js";
import * as shapes from "./openapi/shapes.js";
import { jsonRequest, type RestRoute } from "./route-table.js";

const flag = z.enum(["true", "false", "1", "0"], { error: "must be true or false" }).optional().transform((v) => v === "true" || v === "1");
const bulkUploadQuery = z.object({ dryRun: flag, allowZeroPrices: flag });

const sampleCsvParams = z.object({
  rows: z.coerce.number().int("must be an integer").min(0, "must not be negative").max(SAMPLE_CSV_MAX_ROWS, `must be at most ${SAMPLE_CSV_MAX_ROWS}`),
});
const sampleCsvQuery = z.object({
  invalidFraction: z.coerce.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").default(0),
});

const csvBody = {
  content: {
    "multipart/form-data": {
      type: "object",
      properties: { file: { type: "string", contentMediaType: "text/csv", description: "The CSV file: header name,price,stockQuantity[,description,sku]." } },
      required: ["file"],
    },
    "text/csv": { type: "string", description: "The CSV itself as the body." },
  },
  required: true,
};

const csvDownload = (res: Response, fileName: string) => {
  res.setHeader("Content-Type", "text/csv; charset=utf-8");
  res.setHeader("Content-Disposition", `attachment; filename="${fileName}"`);
};

export function productRoutes(config: Config): RestRoute[] {
  const json = jsonBody(config.JSON_BODY_LIMIT_BYTES);
  const pageRequest = pageRequestSchema(config.DEFAULT_PAGE_SIZE, config.MAX_PAGE_SIZE);
  return [
    {
      method: "get", path: "/api/products", operationId: "listProducts", tag: "Products", access: "anyone",
      summary: "List products, newest first",
      description: "A page of products. When there are more, `X-Next-Cursor` holds the next page's cursor and `Link` its URL.",
      query: pageRequest,
      success: { status: 200, description: "A page of products.", schema: z.array(shapes.Product), headers: ["X-Next-Cursor", "Link"] },
      errors: [400],
      cache: "public",
      handler: async (req, res) => {
        const page = await listProducts(parseInput(pageRequest, req.query));
        sendPage(req, res, page, productJson);
      },
    },
    {
      method: "post", path: "/api/products", operationId: "createProduct", tag: "Products", access: "admin",
      summary: "Create a product",
      description: "A price of 0 also needs `allowZeroPrice: true`. A duplicate `sku` is 409 DUPLICATE.",
      body: jsonRequest(withDecimalMoney(accepts(productInputSchema), { priceCents: "price" })),
      success: { status: 201, description: "The product; `Location` is its URL.", schema: shapes.Product, headers: ["Location"] },
      errors: [400, 403, 409],
      before: [json],
      handler: async (req, res) => {
        const product = await createProduct(currentPrincipal(), decimalToCents(req.body, "price", "priceCents", { required: true }) as Record<string, unknown>);
        res.status(201).location(`/api/products/${product.id}`).json(productJson(product));
      },
    },
    {
      method: "post", path: "/api/products/bulk-upload", operationId: "bulkUploadProducts", tag: "Imports", access: "admin",
      summary: "Import products from a CSV file (asynchronous)",
      description:
        "Streams the file to disk and queues a job; poll `Location` or subscribe to `bulkUploadJobProgress` over GraphQL. Rows are upserted by `sku`. With an `Idempotency-Key`, a retry of the same file answers the same job.",
      query: bulkUploadQuery,
      idempotencyKey: "optional",
      body: csvBody,
      success: { status: 202, description: "The queued job; `Location` is its URL.", schema: shapes.BulkUploadJob, headers: ["Location"] },
      errors: [400, 403, 422, 429],
      handler: async (req, res) => {
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
      },
    },
    {
      method: "get", path: "/api/products/bulk-upload/:jobId/errors", operationId: "getBulkUploadJobErrors", tag: "Imports", access: "admin",
      summary: "Every row error of an import, as CSV", description: "Streamed: row, line, column, message.",
      success: { status: 200, description: "The row errors.", csv: true, headers: ["Content-Disposition"] },
      errors: [400, 403, 404],
      handler: async (req, res) => {
        const jobId = parseInput(id, req.params.jobId, "jobId");
        const lines = jobErrorsCsv(currentPrincipal(), jobId);
        const first = await lines.next(); // 404 before any byte is sent
        csvDownload(res, `bulk-upload-${jobId}-errors.csv`);
        res.write(first.value);
        await pipeline(Readable.from(inChunks(lines)), res);
      },
    },
    {
      method: "get", path: "/api/products/bulk-upload/:jobId", operationId: "getBulkUploadJob", tag: "Imports", access: "admin",
      summary: "An import's status and progress", description: "Status, counts, progress from 0 to 1, and the first 100 row errors.",
      success: { status: 200, description: "The job.", schema: shapes.BulkUploadJob },
      errors: [400, 403, 404],
      handler: async (req, res) => {
        const jobId = parseInput(id, req.params.jobId, "jobId");
        res.json(bulkUploadJobJson(await getBulkUploadJob(currentPrincipal(), jobId)));
      },
    },
    {
      method: "get", path: "/api/products/sample-csv/:rows", operationId: "getSampleCsv", tag: "Imports", access: "admin",
      summary: "A generated CSV to try the import with", description: "Streamed; `invalidFraction` of the rows are made invalid on purpose.",
      params: { rows: asText(accepts(sampleCsvParams.shape.rows)) },
      query: sampleCsvQuery,
      success: { status: 200, description: "The CSV.", csv: true, headers: ["Content-Disposition"] },
      errors: [400, 403],
      handler: async (req, res) => {
        const { rows } = parseInput(sampleCsvParams, req.params);
        const { invalidFraction } = parseInput(sampleCsvQuery, req.query);
        const lines = sampleCsv(currentPrincipal(), rows, invalidFraction);
        csvDownload(res, `products-sample-${rows}.csv`);
        await pipeline(Readable.from(inChunks(lines)), res);
      },
    },
    {
      method: "get", path: "/api/products/:productId", operationId: "getProduct", tag: "Products", access: "anyone",
      summary: "Look up a product", description: "One product by id.",
      success: { status: 200, description: "The product.", schema: shapes.Product },
      errors: [400, 404],
      cache: "public",
      handler: async (req, res) => {
        res.json(productJson(await getProduct(parseInput(id, req.params.productId, "productId"))));
      },
    },
  ];
}
