-- AlterTable
ALTER TABLE "BulkUploadJob" ADD COLUMN "columns" TEXT;

