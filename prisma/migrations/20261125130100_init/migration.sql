-- CreateTable
CREATE TABLE "Store" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "Terminal" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "storeId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    CONSTRAINT "Terminal_storeId_fkey" FOREIGN KEY ("storeId") REFERENCES "Store" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Account" (
    "userId" TEXT NOT NULL PRIMARY KEY,
    "balance" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" DATETIME NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0
);

-- CreateTable
CREATE TABLE "LedgerEntry" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "commandId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "balanceAfter" INTEGER NOT NULL,
    "reason" TEXT,
    "storeId" TEXT NOT NULL,
    "terminalId" TEXT NOT NULL,
    "orderId" TEXT,
    "topic" TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL,
    "issuedAt" DATETIME NOT NULL,
    "appliedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Notification" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "userId" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "AnalyticsStoreTotal" (
    "storeId" TEXT NOT NULL PRIMARY KEY,
    "chargedPoints" INTEGER NOT NULL DEFAULT 0,
    "deductedPoints" INTEGER NOT NULL DEFAULT 0,
    "chargeCount" INTEGER NOT NULL DEFAULT 0,
    "deductCount" INTEGER NOT NULL DEFAULT 0,
    "rejectedCount" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "AnalyticsHourly" (
    "storeId" TEXT NOT NULL,
    "hour" DATETIME NOT NULL,
    "chargedPoints" INTEGER NOT NULL DEFAULT 0,
    "deductedPoints" INTEGER NOT NULL DEFAULT 0,
    "eventCount" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("storeId", "hour")
);

-- CreateTable
CREATE TABLE "AnalyticsCounter" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "value" BIGINT NOT NULL DEFAULT 0,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "AnalyticsOffset" (
    "topic" TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    "lastOffset" BIGINT NOT NULL,
    "lastEventId" TEXT,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("topic", "partition")
);

-- CreateIndex
CREATE INDEX "Terminal_storeId_idx" ON "Terminal"("storeId");

-- CreateIndex
CREATE UNIQUE INDEX "LedgerEntry_commandId_key" ON "LedgerEntry"("commandId");

-- CreateIndex
CREATE INDEX "LedgerEntry_userId_appliedAt_idx" ON "LedgerEntry"("userId", "appliedAt");

-- CreateIndex
CREATE INDEX "LedgerEntry_topic_partition_offset_idx" ON "LedgerEntry"("topic", "partition", "offset");

-- CreateIndex
CREATE UNIQUE INDEX "Notification_eventId_key" ON "Notification"("eventId");

-- CreateIndex
CREATE INDEX "Notification_userId_createdAt_idx" ON "Notification"("userId", "createdAt");

