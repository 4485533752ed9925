-- AlterTable
ALTER TABLE "Customer" ADD COLUMN "wecomFollowUserId" TEXT;
ALTER TABLE "Customer" ADD COLUMN "wecomMatchedAt" DATETIME;
