-- CreateTable
CREATE TABLE "GreetingPlanRun" (
    "campaign" TEXT NOT NULL,
    "sendDate" TEXT NOT NULL,
    "plannedAt" DATETIME NOT NULL,

    PRIMARY KEY ("campaign", "sendDate")
);
