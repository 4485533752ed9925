-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_FollowUp" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "caseId" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "policyId" TEXT NOT NULL,
    "step" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "action" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "assigneeId" TEXT,
    "assigneeRule" TEXT,
    "earliestAt" DATETIME NOT NULL,
    "dueAt" DATETIME NOT NULL,
    "deadlineAt" DATETIME NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 3,
    "activations" INTEGER NOT NULL DEFAULT 0,
    "sampling" TEXT NOT NULL DEFAULT '{}',
    "outcome" TEXT,
    "outcomeNote" TEXT,
    "outcomeById" TEXT,
    "completedAt" DATETIME,
    "activatedAt" DATETIME,
    "remindAt" DATETIME,
    "overdueAt" DATETIME,
    "leaseExpiresAt" DATETIME,
    "version" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "deferrals" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "FollowUp_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "Case" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "FollowUp_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "FollowUp_assigneeId_fkey" FOREIGN KEY ("assigneeId") REFERENCES "Staff" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_FollowUp" ("action", "activatedAt", "activations", "assigneeId", "assigneeRule", "attempts", "caseId", "channel", "completedAt", "createdAt", "customerId", "deadlineAt", "dueAt", "earliestAt", "id", "leaseExpiresAt", "maxAttempts", "outcome", "outcomeById", "outcomeNote", "overdueAt", "policyId", "remindAt", "sampling", "sequence", "status", "step", "updatedAt", "version") SELECT "action", "activatedAt", "activations", "assigneeId", "assigneeRule", "attempts", "caseId", "channel", "completedAt", "createdAt", "customerId", "deadlineAt", "dueAt", "earliestAt", "id", "leaseExpiresAt", "maxAttempts", "outcome", "outcomeById", "outcomeNote", "overdueAt", "policyId", "remindAt", "sampling", "sequence", "status", "step", "updatedAt", "version" FROM "FollowUp";
DROP TABLE "FollowUp";
ALTER TABLE "new_FollowUp" RENAME TO "FollowUp";
CREATE INDEX "FollowUp_status_dueAt_idx" ON "FollowUp"("status", "dueAt");
CREATE INDEX "FollowUp_status_deadlineAt_idx" ON "FollowUp"("status", "deadlineAt");
CREATE INDEX "FollowUp_assigneeId_status_idx" ON "FollowUp"("assigneeId", "status");
CREATE INDEX "FollowUp_customerId_activatedAt_idx" ON "FollowUp"("customerId", "activatedAt");
CREATE INDEX "FollowUp_status_remindAt_idx" ON "FollowUp"("status", "remindAt");
CREATE UNIQUE INDEX "FollowUp_caseId_step_key" ON "FollowUp"("caseId", "step");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
