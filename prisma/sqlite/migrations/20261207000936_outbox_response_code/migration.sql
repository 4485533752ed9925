-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN "responseCode" TEXT;
