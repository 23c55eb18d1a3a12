-- SQLite has no enum type: Prisma stores enums as TEXT and checks values only in
-- the client, so a raw or misspelt write ('PAYED') was stored silently. Each enum
-- column gets a CHECK listing the values of its enum in prisma/models; a new enum
-- value needs a migration that redefines the table again. Prisma neither reads nor
-- writes CHECK constraints: a RedefineTables it generates later for one of these
-- tables drops the CHECK unless it is copied into that migration by hand.
-- A row already holding a value outside its enum makes this migration fail
-- ("CHECK constraint failed: <Table>_<column>_check"): correct the row, restart.
--
-- Applied with foreign keys OFF (src/db/migrate.ts): DROP TABLE would otherwise
-- delete the rows of child tables (OrderItem, InventoryReservation cascade).

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Order" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "userId" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "subtotalCents" INTEGER NOT NULL,
    "discountCents" INTEGER NOT NULL DEFAULT 0,
    "totalCents" INTEGER NOT NULL,
    "couponId" INTEGER,
    "reservedUntil" DATETIME,
    "paymentClaimedUntil" DATETIME,
    "failureReason" TEXT,
    "fulfillmentAttempts" INTEGER NOT NULL DEFAULT 0,
    "paidAt" DATETIME,
    "fulfilledAt" DATETIME,
    "cancelledAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Order_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Order_couponId_fkey" FOREIGN KEY ("couponId") REFERENCES "Coupon" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Order_status_check" CHECK ("status" IN ('PENDING', 'PAID', 'PROCESSING', 'FULFILLED', 'CANCELLED', 'FAILED'))
);
INSERT INTO "new_Order" ("id", "userId", "status", "subtotalCents", "discountCents", "totalCents", "couponId", "reservedUntil", "paymentClaimedUntil", "failureReason", "fulfillmentAttempts", "paidAt", "fulfilledAt", "cancelledAt", "createdAt", "updatedAt") SELECT "id", "userId", "status", "subtotalCents", "discountCents", "totalCents", "couponId", "reservedUntil", "paymentClaimedUntil", "failureReason", "fulfillmentAttempts", "paidAt", "fulfilledAt", "cancelledAt", "createdAt", "updatedAt" FROM "Order";
-- Keep AUTOINCREMENT's high-water mark, so ids of deleted rows are never reused.
DELETE FROM "sqlite_sequence" WHERE "name" = 'new_Order';
INSERT INTO "sqlite_sequence" ("name", "seq") SELECT 'new_Order', "seq" FROM "sqlite_sequence" WHERE "name" = 'Order';
DROP TABLE "Order";
ALTER TABLE "new_Order" RENAME TO "Order";
CREATE INDEX "Order_userId_id_idx" ON "Order"("userId", "id");
CREATE INDEX "Order_status_reservedUntil_idx" ON "Order"("status", "reservedUntil");
CREATE TABLE "new_Payment" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "orderId" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "amountCents" INTEGER NOT NULL,
    "paymentMethod" TEXT NOT NULL,
    "cardLast4" TEXT,
    "fraudScore" REAL,
    "gatewayChargeId" TEXT,
    "failureCode" TEXT,
    "failureMessage" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Payment_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Payment_status_check" CHECK ("status" IN ('PENDING', 'COMPLETED', 'FAILED', 'REFUNDED'))
);
INSERT INTO "new_Payment" ("id", "orderId", "status", "amountCents", "paymentMethod", "cardLast4", "fraudScore", "gatewayChargeId", "failureCode", "failureMessage", "createdAt", "updatedAt") SELECT "id", "orderId", "status", "amountCents", "paymentMethod", "cardLast4", "fraudScore", "gatewayChargeId", "failureCode", "failureMessage", "createdAt", "updatedAt" FROM "Payment";
-- Keep AUTOINCREMENT's high-water mark, so ids of deleted rows are never reused.
DELETE FROM "sqlite_sequence" WHERE "name" = 'new_Payment';
INSERT INTO "sqlite_sequence" ("name", "seq") SELECT 'new_Payment', "seq" FROM "sqlite_sequence" WHERE "name" = 'Payment';
DROP TABLE "Payment";
ALTER TABLE "new_Payment" RENAME TO "Payment";
CREATE UNIQUE INDEX "Payment_gatewayChargeId_key" ON "Payment"("gatewayChargeId");
CREATE INDEX "Payment_orderId_idx" ON "Payment"("orderId");
CREATE TABLE "new_InventoryReservation" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "orderId" INTEGER NOT NULL,
    "productId" INTEGER NOT NULL,
    "quantity" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'ACTIVE',
    "expiresAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "InventoryReservation_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "InventoryReservation_productId_fkey" FOREIGN KEY ("productId") REFERENCES "Product" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "InventoryReservation_status_check" CHECK ("status" IN ('ACTIVE', 'COMMITTED', 'RELEASED'))
);
INSERT INTO "new_InventoryReservation" ("id", "orderId", "productId", "quantity", "status", "expiresAt", "createdAt", "updatedAt") SELECT "id", "orderId", "productId", "quantity", "status", "expiresAt", "createdAt", "updatedAt" FROM "InventoryReservation";
-- Keep AUTOINCREMENT's high-water mark, so ids of deleted rows are never reused.
DELETE FROM "sqlite_sequence" WHERE "name" = 'new_InventoryReservation';
INSERT INTO "sqlite_sequence" ("name", "seq") SELECT 'new_InventoryReservation', "seq" FROM "sqlite_sequence" WHERE "name" = 'InventoryReservation';
DROP TABLE "InventoryReservation";
ALTER TABLE "new_InventoryReservation" RENAME TO "InventoryReservation";
CREATE INDEX "InventoryReservation_productId_idx" ON "InventoryReservation"("productId");
CREATE INDEX "InventoryReservation_status_expiresAt_idx" ON "InventoryReservation"("status", "expiresAt");
CREATE UNIQUE INDEX "InventoryReservation_orderId_productId_key" ON "InventoryReservation"("orderId", "productId");
CREATE TABLE "new_Coupon" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "code" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "percentOffBps" INTEGER,
    "amountOffCents" INTEGER,
    "description" TEXT,
    "expiresAt" DATETIME,
    "maxRedemptions" INTEGER,
    "redemptionCount" INTEGER NOT NULL DEFAULT 0,
    "minSubtotalCents" INTEGER,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Coupon_type_check" CHECK ("type" IN ('PERCENTAGE', 'FIXED_AMOUNT'))
);
INSERT INTO "new_Coupon" ("id", "code", "type", "percentOffBps", "amountOffCents", "description", "expiresAt", "maxRedemptions", "redemptionCount", "minSubtotalCents", "active", "createdAt", "updatedAt") SELECT "id", "code", "type", "percentOffBps", "amountOffCents", "description", "expiresAt", "maxRedemptions", "redemptionCount", "minSubtotalCents", "active", "createdAt", "updatedAt" FROM "Coupon";
-- Keep AUTOINCREMENT's high-water mark, so ids of deleted rows are never reused.
DELETE FROM "sqlite_sequence" WHERE "name" = 'new_Coupon';
INSERT INTO "sqlite_sequence" ("name", "seq") SELECT 'new_Coupon', "seq" FROM "sqlite_sequence" WHERE "name" = 'Coupon';
DROP TABLE "Coupon";
ALTER TABLE "new_Coupon" RENAME TO "Coupon";
CREATE UNIQUE INDEX "Coupon_code_key" ON "Coupon"("code");
CREATE TABLE "new_IdempotencyKey" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "scope" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'IN_PROGRESS',
    "lockedUntil" DATETIME,
    "recoveryPoint" TEXT,
    "resourceId" INTEGER,
    "responseStatus" INTEGER,
    "responseBody" TEXT,
    "expiresAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "IdempotencyKey_status_check" CHECK ("status" IN ('IN_PROGRESS', 'COMPLETED'))
);
INSERT INTO "new_IdempotencyKey" ("id", "scope", "operation", "key", "fingerprint", "status", "lockedUntil", "recoveryPoint", "resourceId", "responseStatus", "responseBody", "expiresAt", "createdAt", "updatedAt") SELECT "id", "scope", "operation", "key", "fingerprint", "status", "lockedUntil", "recoveryPoint", "resourceId", "responseStatus", "responseBody", "expiresAt", "createdAt", "updatedAt" FROM "IdempotencyKey";
-- Keep AUTOINCREMENT's high-water mark, so ids of deleted rows are never reused.
DELETE FROM "sqlite_sequence" WHERE "name" = 'new_IdempotencyKey';
INSERT INTO "sqlite_sequence" ("name", "seq") SELECT 'new_IdempotencyKey', "seq" FROM "sqlite_sequence" WHERE "name" = 'IdempotencyKey';
DROP TABLE "IdempotencyKey";
ALTER TABLE "new_IdempotencyKey" RENAME TO "IdempotencyKey";
CREATE INDEX "IdempotencyKey_expiresAt_idx" ON "IdempotencyKey"("expiresAt");
CREATE UNIQUE INDEX "IdempotencyKey_scope_operation_key_key" ON "IdempotencyKey"("scope", "operation", "key");
CREATE TABLE "new_BulkUploadJob" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "status" TEXT NOT NULL DEFAULT 'QUEUED',
    "fileName" TEXT,
    "filePath" TEXT NOT NULL,
    "fileSizeBytes" INTEGER NOT NULL,
    "dryRun" BOOLEAN NOT NULL DEFAULT false,
    "totalRows" INTEGER,
    "processedRows" INTEGER NOT NULL DEFAULT 0,
    "succeededRows" INTEGER NOT NULL DEFAULT 0,
    "failedRows" INTEGER NOT NULL DEFAULT 0,
    "columns" TEXT,
    "checkpointByte" INTEGER NOT NULL DEFAULT 0,
    "checkpointLine" INTEGER NOT NULL DEFAULT 1,
    "errorMessage" TEXT,
    "requestId" TEXT,
    "workerId" TEXT,
    "leaseExpiresAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "BulkUploadJob_status_check" CHECK ("status" IN ('QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED'))
);
INSERT INTO "new_BulkUploadJob" ("id", "status", "fileName", "filePath", "fileSizeBytes", "dryRun", "totalRows", "processedRows", "succeededRows", "failedRows", "columns", "checkpointByte", "checkpointLine", "errorMessage", "requestId", "workerId", "leaseExpiresAt", "createdAt", "startedAt", "finishedAt", "updatedAt") SELECT "id", "status", "fileName", "filePath", "fileSizeBytes", "dryRun", "totalRows", "processedRows", "succeededRows", "failedRows", "columns", "checkpointByte", "checkpointLine", "errorMessage", "requestId", "workerId", "leaseExpiresAt", "createdAt", "startedAt", "finishedAt", "updatedAt" FROM "BulkUploadJob";
-- Keep AUTOINCREMENT's high-water mark, so ids of deleted rows are never reused.
DELETE FROM "sqlite_sequence" WHERE "name" = 'new_BulkUploadJob';
INSERT INTO "sqlite_sequence" ("name", "seq") SELECT 'new_BulkUploadJob', "seq" FROM "sqlite_sequence" WHERE "name" = 'BulkUploadJob';
DROP TABLE "BulkUploadJob";
ALTER TABLE "new_BulkUploadJob" RENAME TO "BulkUploadJob";
CREATE INDEX "BulkUploadJob_status_leaseExpiresAt_idx" ON "BulkUploadJob"("status", "leaseExpiresAt");
CREATE TABLE "new_OutboxEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "type" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,
    "requestId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deliveredAt" DATETIME,
    CONSTRAINT "OutboxEvent_status_check" CHECK ("status" IN ('PENDING', 'DELIVERED', 'FAILED'))
);
INSERT INTO "new_OutboxEvent" ("id", "type", "payload", "status", "attempts", "nextAttemptAt", "lastError", "requestId", "createdAt", "deliveredAt") SELECT "id", "type", "payload", "status", "attempts", "nextAttemptAt", "lastError", "requestId", "createdAt", "deliveredAt" FROM "OutboxEvent";
-- Keep AUTOINCREMENT's high-water mark, so ids of deleted rows are never reused.
DELETE FROM "sqlite_sequence" WHERE "name" = 'new_OutboxEvent';
INSERT INTO "sqlite_sequence" ("name", "seq") SELECT 'new_OutboxEvent', "seq" FROM "sqlite_sequence" WHERE "name" = 'OutboxEvent';
DROP TABLE "OutboxEvent";
ALTER TABLE "new_OutboxEvent" RENAME TO "OutboxEvent";
CREATE INDEX "OutboxEvent_status_nextAttemptAt_idx" ON "OutboxEvent"("status", "nextAttemptAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
