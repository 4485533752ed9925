-- AlterTable
ALTER TABLE "Customer" ADD COLUMN     "phoneInvalidAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Escalation" ADD COLUMN     "acknowledgedById" TEXT,
ADD COLUMN     "breachedAt" TIMESTAMP(3),
ADD COLUMN     "resolvedById" TEXT,
ADD COLUMN     "secondFollowUpId" TEXT,
ADD COLUMN     "severity" TEXT NOT NULL DEFAULT 'normal',
ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "FollowUp" ADD COLUMN     "remindAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN     "deliveredAt" TIMESTAMP(3),
ADD COLUMN     "deliveryError" TEXT,
ADD COLUMN     "deliveryStatus" TEXT;

-- AlterTable
ALTER TABLE "Staff" ADD COLUMN     "source" TEXT NOT NULL DEFAULT 'import',
ADD COLUMN     "syncedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "SurveyInstance" ADD COLUMN     "channel" TEXT,
ADD COLUMN     "draft" TEXT,
ADD COLUMN     "openedAt" TIMESTAMP(3),
ADD COLUMN     "replyCode" TEXT;

-- CreateTable
CREATE TABLE "Setting" (
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Setting_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "GreetingDelivery" (
    "id" TEXT NOT NULL,
    "campaign" TEXT NOT NULL,
    "occasionKey" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "skipReason" TEXT,
    "channel" TEXT,
    "scheduledAt" TIMESTAMP(3) NOT NULL,
    "outboxMessageId" TEXT,
    "segment" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GreetingDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "GreetingDelivery_campaign_occasionKey_status_idx" ON "GreetingDelivery"("campaign", "occasionKey", "status");

-- CreateIndex
CREATE INDEX "GreetingDelivery_status_scheduledAt_idx" ON "GreetingDelivery"("status", "scheduledAt");

-- CreateIndex
CREATE UNIQUE INDEX "GreetingDelivery_occasionKey_customerId_key" ON "GreetingDelivery"("occasionKey", "customerId");

-- CreateIndex
CREATE INDEX "Escalation_caseId_idx" ON "Escalation"("caseId");

-- CreateIndex
CREATE INDEX "Escalation_secondFollowUpId_idx" ON "Escalation"("secondFollowUpId");

-- CreateIndex
CREATE INDEX "FollowUp_status_remindAt_idx" ON "FollowUp"("status", "remindAt");

-- CreateIndex
CREATE INDEX "OutboxMessage_providerMessageId_idx" ON "OutboxMessage"("providerMessageId");

-- CreateIndex
CREATE INDEX "OutboxMessage_channel_sentAt_idx" ON "OutboxMessage"("channel", "sentAt");

-- CreateIndex
CREATE UNIQUE INDEX "SurveyInstance_replyCode_key" ON "SurveyInstance"("replyCode");

-- CreateIndex
CREATE INDEX "SurveyInstance_status_channel_sentAt_idx" ON "SurveyInstance"("status", "channel", "sentAt");
