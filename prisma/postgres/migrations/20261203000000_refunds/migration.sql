-- Refunds (docs/refunds.md): a payment's refunded and held amounts, its refunds, and the
-- simulated gateway's refund ledger.

-- CreateEnum
CREATE TYPE "RefundStatus" AS ENUM ('PENDING', 'SUCCEEDED', 'FAILED');

-- AlterTable
ALTER TABLE "Payment" ADD COLUMN     "refundPendingCents" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "refundedCents" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "SimulatedGatewayRefund" (
    "id" SERIAL NOT NULL,
    "refundId" TEXT NOT NULL,
    "chargeId" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "amountCents" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SimulatedGatewayRefund_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Refund" (
    "id" SERIAL NOT NULL,
    "paymentId" INTEGER NOT NULL,
    "status" "RefundStatus" NOT NULL DEFAULT 'PENDING',
    "amountCents" INTEGER NOT NULL,
    "reason" TEXT,
    "actor" TEXT NOT NULL,
    "gatewayKey" TEXT NOT NULL,
    "gatewayRefundId" TEXT,
    "failureCode" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Refund_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "SimulatedGatewayRefund_refundId_key" ON "SimulatedGatewayRefund"("refundId");

-- CreateIndex
CREATE UNIQUE INDEX "SimulatedGatewayRefund_idempotencyKey_key" ON "SimulatedGatewayRefund"("idempotencyKey");

-- CreateIndex
CREATE INDEX "SimulatedGatewayRefund_chargeId_idx" ON "SimulatedGatewayRefund"("chargeId");

-- CreateIndex
CREATE UNIQUE INDEX "Refund_gatewayKey_key" ON "Refund"("gatewayKey");

-- CreateIndex
CREATE UNIQUE INDEX "Refund_gatewayRefundId_key" ON "Refund"("gatewayRefundId");

-- CreateIndex
CREATE INDEX "Refund_paymentId_idx" ON "Refund"("paymentId");

-- CreateIndex
CREATE INDEX "Refund_status_createdAt_idx" ON "Refund"("status", "createdAt");

-- AddForeignKey
ALTER TABLE "Refund" ADD CONSTRAINT "Refund_paymentId_fkey" FOREIGN KEY ("paymentId") REFERENCES "Payment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

