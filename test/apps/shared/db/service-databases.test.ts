// The services' SQLite files: where each owner's file is, and migrating a system's files (fresh, and
// a data directory from before the split, whose one file held every service's rows).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { databaseFilePath, migrate } from "../../../../apps/shared/db/client.ts";
import {
  migrateServiceDatabases,
  ownerDatabaseUrl,
  TABLE_OWNERS,
} from "../../../../apps/shared/db/service-databases.ts";

const dir = mkdtempSync(path.join(tmpdir(), "service-databases-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const tablesOf = (file: string): string[] => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  } finally {
    db.close();
  }
};

describe("service databases", () => {
  it("when a service's file is asked for, then points-api's is DATABASE_URL's own and the others sit beside it", () => {
    const url = "file:/data/points.db?connection_limit=1";
    assert.equal(ownerDatabaseUrl(url, "points-api"), url);
    assert.equal(ownerDatabaseUrl(url, "ledger"), "file:/data/points.ledger.db");
    assert.equal(ownerDatabaseUrl("file:/data/app", "analytics"), "file:/data/app.analytics.db");
    assert.equal(ownerDatabaseUrl("file::memory:", "notification"), "file::memory:");
  });

  it("when a fresh system is migrated, then every service's file exists with the whole schema, and again changes nothing", () => {
    const url = `file:${path.join(dir, "fresh", "points.db")}`;
    const first = migrateServiceDatabases(url);
    assert.ok(first.applied.length > 0);
    const files = TABLE_OWNERS.map((owner) => databaseFilePath(ownerDatabaseUrl(url, owner)));
    assert.equal(new Set(files).size, 4);
    const schema = tablesOf(files[0]!);
    for (const table of ["Store", "Account", "LedgerEntry", "Notification", "AnalyticsEvent"])
      assert.ok(schema.includes(table));
    for (const file of files) assert.deepEqual(tablesOf(file), schema, file);
    const second = migrateServiceDatabases(url);
    assert.deepEqual(second.applied, []);
  });

  it("when a data directory from before the split is migrated, then each service's new file starts with the rows it had, and is never copied over again", () => {
    const url = `file:${path.join(dir, "old", "points.db")}`;
    migrate(url);
    const old = new Database(databaseFilePath(url));
    old
      .prepare(
        `INSERT INTO "Account" ("userId", "balance", "version", "updatedAt") VALUES ('u1', 700, 2, '2026-01-01T00:00:00.000+00:00')`,
      )
      .run();
    old.close();
    migrateServiceDatabases(url);
    const ledgerFile = databaseFilePath(ownerDatabaseUrl(url, "ledger"));
    const ledger = new Database(ledgerFile);
    assert.deepEqual(ledger.prepare(`SELECT "userId", "balance" FROM "Account"`).all(), [
      { userId: "u1", balance: 700 },
    ]);
    ledger.prepare(`UPDATE "Account" SET "balance" = 900`).run();
    ledger.close();
    migrateServiceDatabases(url);
    const again = new Database(ledgerFile, { readonly: true });
    assert.equal(again.prepare(`SELECT "balance" FROM "Account"`).pluck().get(), 900);
    again.close();
    assert.equal(existsSync(`${ledgerFile}.copy`), false);
  });
});
