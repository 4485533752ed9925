-- AlterTable
ALTER TABLE "FollowUp" ADD COLUMN     "deferrals" INTEGER NOT NULL DEFAULT 0;
