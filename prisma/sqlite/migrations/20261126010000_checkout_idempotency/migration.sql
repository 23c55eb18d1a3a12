-- AlterTable
ALTER TABLE "IdempotencyKey" ADD COLUMN "recoveryPoint" TEXT;
ALTER TABLE "IdempotencyKey" ADD COLUMN "resourceId" INTEGER;

-- CreateTable
CREATE TABLE "SimulatedGatewayCharge" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "chargeId" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "amountCents" INTEGER NOT NULL,
    "cardLast4" TEXT,
    "status" TEXT NOT NULL,
    "declineCode" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE UNIQUE INDEX "SimulatedGatewayCharge_chargeId_key" ON "SimulatedGatewayCharge"("chargeId");

-- CreateIndex
CREATE UNIQUE INDEX "SimulatedGatewayCharge_idempotencyKey_key" ON "SimulatedGatewayCharge"("idempotencyKey");

