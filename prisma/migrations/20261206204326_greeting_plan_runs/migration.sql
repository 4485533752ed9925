-- CreateTable
CREATE TABLE "GreetingPlanRun" (
    "campaign" TEXT NOT NULL,
    "sendDate" TEXT NOT NULL,
    "plannedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GreetingPlanRun_pkey" PRIMARY KEY ("campaign","sendDate")
);
