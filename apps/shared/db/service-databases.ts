// A SQLite file for each service that writes (database per service): points-api's tables (stores,
// terminals, users) in DATABASE_URL's file, and the ledger's, notification's and analytics' each
// in a file beside it (points.db → points.ledger.db, points.notification.db, points.analytics.db).
// Each file is a single writer's: with the four sharing one file, every service's transaction
// waited for the others' write lock in SQLite's busy handler (sleeps of up to 100 ms), and the WAL,
// never free of readers to restart, grew past 170 MB. Measured at 3,000 commands/s: accepted →
// committed p50 12–13 ms shared, 3–4 ms split; the same CPU. Every file has the whole schema (one
// Prisma schema, one migration history); a service reads another's tables in that service's file.
//
// Ownership: none kept; the files are their services'.
import fs from "node:fs";
import Database from "better-sqlite3";
import { createDb, type Db, databaseFilePath, type MigrateResult, migrate, toDatabaseUrl } from "./client.ts";

/** The services that own tables; "points-api" owns DATABASE_URL's file itself. */
export type TableOwner = "points-api" | "ledger" | "notification" | "analytics";

export const TABLE_OWNERS: readonly TableOwner[] = ["points-api", "ledger", "notification", "analytics"];

/** The file of `owner`'s tables in the system whose DATABASE_URL is `databaseUrl`. */
export function ownerDatabaseUrl(databaseUrl: string, owner: TableOwner): string {
  const file = databaseFilePath(databaseUrl);
  if (owner === "points-api" || file === ":memory:") return toDatabaseUrl(databaseUrl);
  const stem = file.endsWith(".db") ? file.slice(0, -".db".length) : file;
  return `file:${stem}.${owner}.db`;
}

/**
 * Migrates every service's file of the system (creating the missing ones); returns what was
 * applied to DATABASE_URL's own. A file missing beside an existing one starts as a copy of it
 * (VACUUM INTO), so a data directory from before the split keeps each service's rows.
 */
export function migrateServiceDatabases(databaseUrl: string, options: { migrationsDir?: string } = {}): MigrateResult {
  const result = migrate(databaseUrl, options);
  const main = databaseFilePath(databaseUrl);
  if (main === ":memory:") return result;
  for (const owner of TABLE_OWNERS) {
    if (owner === "points-api") continue;
    const url = ownerDatabaseUrl(databaseUrl, owner);
    const file = databaseFilePath(url);
    if (!fs.existsSync(file)) {
      fs.rmSync(`${file}.copy`, { force: true });
      const source = new Database(main, { readonly: true, timeout: 15_000 });
      try {
        source.prepare("VACUUM INTO ?").run(`${file}.copy`);
      } finally {
        source.close();
      }
      // Renamed into place whole: a crash mid-copy leaves no half file to be taken for the service's.
      fs.renameSync(`${file}.copy`, file);
    }
    migrate(url, options);
  }
  return result;
}

/** Prisma clients on the files of the services whose tables points-api (or the console) reads. */
export interface OtherServicesDbs {
  ledger: Db;
  notification: Db;
  analytics: Db;
}

export function createOtherServicesDbs(databaseUrl: string): OtherServicesDbs {
  return {
    ledger: createDb(ownerDatabaseUrl(databaseUrl, "ledger")),
    notification: createDb(ownerDatabaseUrl(databaseUrl, "notification")),
    analytics: createDb(ownerDatabaseUrl(databaseUrl, "analytics")),
  };
}

export async function disconnectAll(dbs: OtherServicesDbs): Promise<void> {
  await Promise.allSettled(Object.values(dbs).map((db) => db.$disconnect()));
}
