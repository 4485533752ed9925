-- AlterTable
ALTER TABLE "FollowUp" ADD COLUMN     "quotaSlot" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "FollowUp_quotaSlot_key" ON "FollowUp"("quotaSlot");
