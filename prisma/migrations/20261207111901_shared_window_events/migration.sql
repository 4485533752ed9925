-- CreateTable
CREATE TABLE "SharedWindowEvent" (
    "key" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "until" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SharedWindowEvent_pkey" PRIMARY KEY ("key","seq")
);

-- CreateIndex
CREATE INDEX "SharedWindowEvent_key_at_idx" ON "SharedWindowEvent"("key", "at");

-- CreateIndex
CREATE INDEX "SharedWindowEvent_until_idx" ON "SharedWindowEvent"("until");
