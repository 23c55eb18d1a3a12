-- AlterTable
ALTER TABLE "Payment" ADD COLUMN "gatewayKey" TEXT;

-- AlterTable
ALTER TABLE "SimulatedGatewayCharge" ADD COLUMN "refundKey" TEXT;
ALTER TABLE "SimulatedGatewayCharge" ADD COLUMN "refundedAt" DATETIME;

-- CreateIndex
CREATE INDEX "Payment_gatewayKey_idx" ON "Payment"("gatewayKey");

-- CreateIndex
CREATE UNIQUE INDEX "SimulatedGatewayCharge_refundKey_key" ON "SimulatedGatewayCharge"("refundKey");

-- CreateIndex
CREATE INDEX "SimulatedGatewayCharge_status_createdAt_idx" ON "SimulatedGatewayCharge"("status", "createdAt");

