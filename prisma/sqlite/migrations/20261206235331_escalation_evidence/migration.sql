-- AlterTable
ALTER TABLE "Escalation" ADD COLUMN "incidentKey" TEXT;

-- CreateTable
CREATE TABLE "EscalationEvidence" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "escalationId" TEXT NOT NULL,
    "sourceKey" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "followUpId" TEXT,
    "source" TEXT NOT NULL,
    "note" TEXT,
    "at" DATETIME NOT NULL,
    CONSTRAINT "EscalationEvidence_escalationId_fkey" FOREIGN KEY ("escalationId") REFERENCES "Escalation" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "EscalationEvidence_sourceKey_key" ON "EscalationEvidence"("sourceKey");

-- CreateIndex
CREATE INDEX "EscalationEvidence_escalationId_at_idx" ON "EscalationEvidence"("escalationId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "Escalation_incidentKey_key" ON "Escalation"("incidentKey");
