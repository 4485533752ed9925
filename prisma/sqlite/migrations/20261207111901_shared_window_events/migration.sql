-- CreateTable
CREATE TABLE "SharedWindowEvent" (
    "key" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "at" DATETIME NOT NULL,
    "until" DATETIME NOT NULL,

    PRIMARY KEY ("key", "seq")
);

-- CreateIndex
CREATE INDEX "SharedWindowEvent_key_at_idx" ON "SharedWindowEvent"("key", "at");

-- CreateIndex
CREATE INDEX "SharedWindowEvent_until_idx" ON "SharedWindowEvent"("until");
