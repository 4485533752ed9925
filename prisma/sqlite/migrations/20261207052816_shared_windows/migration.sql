-- CreateTable
CREATE TABLE "SharedWindow" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "holder" TEXT NOT NULL DEFAULT '',
    "count" INTEGER NOT NULL DEFAULT 0,
    "until" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "SharedWindow_until_idx" ON "SharedWindow"("until");
