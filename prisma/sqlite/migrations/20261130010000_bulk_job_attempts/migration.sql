-- AlterTable
ALTER TABLE "BulkUploadJob" ADD COLUMN "attempts" INTEGER NOT NULL DEFAULT 0;
