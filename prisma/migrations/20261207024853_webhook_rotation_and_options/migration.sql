-- AlterTable
ALTER TABLE "WebhookSubscription" ADD COLUMN     "maxAttempts" INTEGER NOT NULL DEFAULT 12,
ADD COLUMN     "previousSecret" TEXT,
ADD COLUMN     "previousSecretUntil" TIMESTAMP(3),
ADD COLUMN     "timeoutMs" INTEGER NOT NULL DEFAULT 10000;
