-- AlterTable
ALTER TABLE "InboundEvent" ADD COLUMN     "nextAttemptAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN     "sendStartedAt" TIMESTAMP(3);
