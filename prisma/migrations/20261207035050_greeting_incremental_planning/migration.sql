-- AlterTable
ALTER TABLE "GreetingPlanRun" ADD COLUMN     "coveredAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "Case_updatedAt_idx" ON "Case"("updatedAt");

-- CreateIndex
CREATE INDEX "Customer_updatedAt_idx" ON "Customer"("updatedAt");

-- CreateIndex
CREATE INDEX "Customer_birthday_idx" ON "Customer"("birthday");
