-- DropTable
PRAGMA foreign_keys=off;
DROP TABLE "AnalyticsOffset";
PRAGMA foreign_keys=on;

-- CreateTable
CREATE TABLE "AnalyticsEvent" (
    "eventId" TEXT NOT NULL PRIMARY KEY,
    "processedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "AnalyticsUserTotal" (
    "userId" TEXT NOT NULL PRIMARY KEY,
    "chargedPoints" INTEGER NOT NULL DEFAULT 0,
    "deductedPoints" INTEGER NOT NULL DEFAULT 0,
    "eventCount" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "AnalyticsUserTotal_chargedPoints_idx" ON "AnalyticsUserTotal"("chargedPoints");

