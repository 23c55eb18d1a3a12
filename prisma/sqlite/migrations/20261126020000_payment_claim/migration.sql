-- AlterTable
ALTER TABLE "Order" ADD COLUMN "paymentClaimedUntil" DATETIME;

