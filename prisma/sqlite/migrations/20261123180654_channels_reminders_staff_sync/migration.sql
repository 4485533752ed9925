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

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
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
CREATE INDEX "FollowUp_status_remindAt_idx" ON "FollowUp"("status", "remindAt");

-- CreateIndex
CREATE INDEX "OutboxMessage_providerMessageId_idx" ON "OutboxMessage"("providerMessageId");

-- CreateIndex
CREATE UNIQUE INDEX "SurveyInstance_replyCode_key" ON "SurveyInstance"("replyCode");
