-- Refunds (docs/refunds.md): a payment's refunded and held amounts, its refunds, and the
-- simulated gateway's refund ledger. The new enum column carries its CHECK, as the others
-- do (20261129000000_enum_checks).

-- AlterTable
ALTER TABLE "Payment" ADD COLUMN "refundedCents" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Payment" ADD COLUMN "refundPendingCents" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "Refund" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "paymentId" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "amountCents" INTEGER NOT NULL,
    "reason" TEXT,
    "actor" TEXT NOT NULL,
    "gatewayKey" TEXT NOT NULL,
    "gatewayRefundId" TEXT,
    "failureCode" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Refund_paymentId_fkey" FOREIGN KEY ("paymentId") REFERENCES "Payment" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Refund_status_check" CHECK ("status" IN ('PENDING', 'SUCCEEDED', 'FAILED'))
);

-- CreateTable
CREATE TABLE "SimulatedGatewayRefund" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "refundId" TEXT NOT NULL,
    "chargeId" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "amountCents" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE UNIQUE INDEX "Refund_gatewayKey_key" ON "Refund"("gatewayKey");

-- CreateIndex
CREATE UNIQUE INDEX "Refund_gatewayRefundId_key" ON "Refund"("gatewayRefundId");

-- CreateIndex
CREATE INDEX "Refund_paymentId_idx" ON "Refund"("paymentId");

-- CreateIndex
CREATE INDEX "Refund_status_createdAt_idx" ON "Refund"("status", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "SimulatedGatewayRefund_refundId_key" ON "SimulatedGatewayRefund"("refundId");

-- CreateIndex
CREATE UNIQUE INDEX "SimulatedGatewayRefund_idempotencyKey_key" ON "SimulatedGatewayRefund"("idempotencyKey");

-- CreateIndex
CREATE INDEX "SimulatedGatewayRefund_chargeId_idx" ON "SimulatedGatewayRefund"("chargeId");
