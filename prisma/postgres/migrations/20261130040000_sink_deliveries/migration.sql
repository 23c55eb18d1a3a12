-- CreateTable
CREATE TABLE "SimulatedSinkDelivery" (
    "id" SERIAL NOT NULL,
    "sink" TEXT NOT NULL,
    "dedupeKey" TEXT NOT NULL,
    "receipts" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SimulatedSinkDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "SimulatedSinkDelivery_dedupeKey_key" ON "SimulatedSinkDelivery"("dedupeKey");
