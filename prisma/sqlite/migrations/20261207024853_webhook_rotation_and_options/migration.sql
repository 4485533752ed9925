-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_WebhookSubscription" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "url" TEXT NOT NULL,
    "events" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "previousSecret" TEXT,
    "previousSecretUntil" DATETIME,
    "timeoutMs" INTEGER NOT NULL DEFAULT 10000,
    "maxAttempts" INTEGER NOT NULL DEFAULT 12,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "coveredUntil" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "removedAt" DATETIME
);
INSERT INTO "new_WebhookSubscription" ("active", "coveredUntil", "createdAt", "events", "id", "removedAt", "secret", "url") SELECT "active", "coveredUntil", "createdAt", "events", "id", "removedAt", "secret", "url" FROM "WebhookSubscription";
DROP TABLE "WebhookSubscription";
ALTER TABLE "new_WebhookSubscription" RENAME TO "WebhookSubscription";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
