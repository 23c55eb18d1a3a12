-- Traces (docs/observability.md): work that outlives its request keeps the request's W3C
-- traceparent, so the span that delivers an outbox event or runs an import batch links to it.

-- AlterTable
ALTER TABLE "OutboxEvent" ADD COLUMN "traceContext" TEXT;

-- AlterTable
ALTER TABLE "BulkUploadJob" ADD COLUMN "traceContext" TEXT;
