-- CreateTable
CREATE TABLE "SharedWindow" (
    "key" TEXT NOT NULL,
    "holder" TEXT NOT NULL DEFAULT '',
    "count" INTEGER NOT NULL DEFAULT 0,
    "until" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SharedWindow_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "SharedWindow_until_idx" ON "SharedWindow"("until");
