-- CreateTable
CREATE TABLE "SimulatedSinkDelivery" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "sink" TEXT NOT NULL,
    "dedupeKey" TEXT NOT NULL,
    "receipts" INTEGER NOT NULL DEFAULT 1,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE UNIQUE INDEX "SimulatedSinkDelivery_dedupeKey_key" ON "SimulatedSinkDelivery"("dedupeKey");

