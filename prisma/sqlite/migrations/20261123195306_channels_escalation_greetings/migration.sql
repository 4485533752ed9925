-- AlterTable
ALTER TABLE "Customer" ADD COLUMN "phoneInvalidAt" DATETIME;

-- AlterTable
ALTER TABLE "FollowUp" ADD COLUMN "remindAt" DATETIME;

-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN "deliveredAt" DATETIME;
ALTER TABLE "OutboxMessage" ADD COLUMN "deliveryError" TEXT;
ALTER TABLE "OutboxMessage" ADD COLUMN "deliveryStatus" TEXT;

-- AlterTable
ALTER TABLE "SurveyInstance" ADD COLUMN "channel" TEXT;
ALTER TABLE "SurveyInstance" ADD COLUMN "draft" TEXT;
ALTER TABLE "SurveyInstance" ADD COLUMN "openedAt" DATETIME;
ALTER TABLE "SurveyInstance" ADD COLUMN "replyCode" TEXT;

-- CreateTable
CREATE TABLE "Setting" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "GreetingDelivery" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "campaign" TEXT NOT NULL,
    "occasionKey" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "skipReason" TEXT,
    "channel" TEXT,
    "scheduledAt" DATETIME NOT NULL,
    "outboxMessageId" TEXT,
    "segment" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Escalation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "sourceKey" TEXT NOT NULL,
    "caseId" TEXT NOT NULL,
    "followUpId" TEXT,
    "reason" TEXT NOT NULL,
    "severity" TEXT NOT NULL DEFAULT 'normal',
    "level" INTEGER NOT NULL DEFAULT 1,
    "ownerId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'OPEN',
    "summary" TEXT NOT NULL,
    "deadlineAt" DATETIME NOT NULL,
    "note" TEXT,
    "acknowledgedAt" DATETIME,
    "acknowledgedById" TEXT,
    "resolvedAt" DATETIME,
    "resolvedById" TEXT,
    "secondFollowUpId" TEXT,
    "closedAt" DATETIME,
    "breachedAt" DATETIME,
    "version" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Escalation_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "Case" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Escalation_followUpId_fkey" FOREIGN KEY ("followUpId") REFERENCES "FollowUp" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Escalation_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "Staff" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Escalation" ("acknowledgedAt", "caseId", "closedAt", "createdAt", "deadlineAt", "followUpId", "id", "level", "note", "ownerId", "reason", "resolvedAt", "sourceKey", "status", "summary", "updatedAt") SELECT "acknowledgedAt", "caseId", "closedAt", "createdAt", "deadlineAt", "followUpId", "id", "level", "note", "ownerId", "reason", "resolvedAt", "sourceKey", "status", "summary", "updatedAt" FROM "Escalation";
DROP TABLE "Escalation";
ALTER TABLE "new_Escalation" RENAME TO "Escalation";
CREATE UNIQUE INDEX "Escalation_sourceKey_key" ON "Escalation"("sourceKey");
CREATE INDEX "Escalation_status_deadlineAt_idx" ON "Escalation"("status", "deadlineAt");
CREATE INDEX "Escalation_ownerId_status_idx" ON "Escalation"("ownerId", "status");
CREATE INDEX "Escalation_caseId_idx" ON "Escalation"("caseId");
CREATE INDEX "Escalation_secondFollowUpId_idx" ON "Escalation"("secondFollowUpId");
CREATE TABLE "new_Staff" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "wecomUserId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "departmentId" TEXT NOT NULL,
    "roles" TEXT NOT NULL,
    "supervisorId" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "source" TEXT NOT NULL DEFAULT 'import',
    "syncedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Staff_departmentId_fkey" FOREIGN KEY ("departmentId") REFERENCES "Department" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Staff_supervisorId_fkey" FOREIGN KEY ("supervisorId") REFERENCES "Staff" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Staff" ("active", "createdAt", "departmentId", "id", "name", "roles", "supervisorId", "updatedAt", "wecomUserId") SELECT "active", "createdAt", "departmentId", "id", "name", "roles", "supervisorId", "updatedAt", "wecomUserId" FROM "Staff";
DROP TABLE "Staff";
ALTER TABLE "new_Staff" RENAME TO "Staff";
CREATE UNIQUE INDEX "Staff_wecomUserId_key" ON "Staff"("wecomUserId");
CREATE INDEX "Staff_departmentId_idx" ON "Staff"("departmentId");
CREATE INDEX "Staff_supervisorId_idx" ON "Staff"("supervisorId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "GreetingDelivery_campaign_occasionKey_status_idx" ON "GreetingDelivery"("campaign", "occasionKey", "status");

-- CreateIndex
CREATE INDEX "GreetingDelivery_status_scheduledAt_idx" ON "GreetingDelivery"("status", "scheduledAt");

-- CreateIndex
CREATE UNIQUE INDEX "GreetingDelivery_occasionKey_customerId_key" ON "GreetingDelivery"("occasionKey", "customerId");

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
