-- AlterTable
ALTER TABLE "InboundEvent" ADD COLUMN "nextAttemptAt" DATETIME;

-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN "sendStartedAt" DATETIME;
