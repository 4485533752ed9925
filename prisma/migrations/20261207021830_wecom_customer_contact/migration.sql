-- AlterTable
ALTER TABLE "Customer" ADD COLUMN     "wecomFollowUserId" TEXT,
ADD COLUMN     "wecomMatchedAt" TIMESTAMP(3);
