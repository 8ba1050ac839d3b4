// Shared data layer for the points demo: Prisma (JS engine) on SQLite through
// the better-sqlite3 driver adapter, plus a programmatic migration runner.
//
// The Prisma client in ./generated is produced by `npm run db:generate`
// (run automatically on `npm install`/`npm ci` via postinstall, and before
// `npm test`). Table ownership per service is documented in prisma/schema.prisma.
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import Database from "better-sqlite3";
import { PrismaClient } from "./generated/client.ts";

export { Prisma, PrismaClient } from "./generated/client.ts";
export type * from "./generated/models.ts";

export type Db = PrismaClient;

/** prisma/migrations, relative to this file (apps/shared/db/client.ts). */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../../../prisma/migrations/", import.meta.url));

/** Accepts `file:./x.db`, `file:/abs/x.db` or a bare path; returns a `file:` URL. */
export function toDatabaseUrl(databaseUrlOrPath: string): string {
  return databaseUrlOrPath.startsWith("file:") ? databaseUrlOrPath : `file:${databaseUrlOrPath}`;
}

/** The filesystem path of a `file:` URL (query string dropped), resolved against cwd. */
export function databaseFilePath(databaseUrl: string): string {
  const p = toDatabaseUrl(databaseUrl).slice("file:".length).split("?")[0]!;
  return p === ":memory:" ? p : path.resolve(p);
}

/** A PrismaClient on the better-sqlite3 adapter. Call `$disconnect()` when done. */
export function createDb(databaseUrl: string): PrismaClient {
  // Several services share the file (each writing only its own tables): wait for the write lock
  // instead of failing with SQLITE_BUSY.
  const adapter = new PrismaBetterSQLite3({ url: toDatabaseUrl(databaseUrl), timeout: 15_000 });
  return new PrismaClient({ adapter });
}

export interface MigrateResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Migrations that were already applied before this call. */
  alreadyApplied: string[];
}

// Same shape as the table Prisma's schema engine creates for SQLite, so
// `prisma migrate deploy` / `migrate status` agree with this runner.
const MIGRATIONS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

/**
 * A DateTime as Prisma stores it in SQLite (and its schema engine writes it), e.g.
 * 2026-01-01T12:00:00.123+00:00: for values written by raw statements (inside a JSON parameter,
 * say), so they read back alike and, in a key, never make a second row for the same instant.
 */
export function prismaDateTime(date: Date): string {
  return date.toISOString().replace(/Z$/, "+00:00");
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: string | number | null;
  rolled_back_at: string | number | null;
}

/**
 * Applies prisma/migrations/<name>/migration.sql files in name order to the
 * SQLite database at `databaseUrl` (created if missing), recording each in
 * `_prisma_migrations` like `prisma migrate deploy` does. Each migration runs
 * in its own IMMEDIATE transaction, so concurrent callers on the same file
 * apply each migration exactly once. Idempotent; needs no Prisma CLI/engine.
 * Throws if an applied migration's file was edited or a previous one failed.
 */
export function migrate(databaseUrl: string, options: { migrationsDir?: string } = {}): MigrateResult {
  const migrationsDir = options.migrationsDir ?? MIGRATIONS_DIR;
  const file = databaseFilePath(databaseUrl);
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });

  const migrations = fs
    .readdirSync(migrationsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(migrationsDir, e.name, "migration.sql")))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(migrationsDir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });

  const db = new Database(file, { timeout: 15_000 });
  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  try {
    db.pragma("journal_mode = WAL");
    db.exec(MIGRATIONS_TABLE_SQL);
    const rowsFor = db.prepare<[string], MigrationRow>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" WHERE migration_name = ?`,
    );
    const insert = db.prepare(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)`,
    );
    for (const m of migrations) {
      const applyOne = db.transaction((): boolean => {
        const rows = rowsFor.all(m.name).filter((r) => r.rolled_back_at === null);
        const done = rows.find((r) => r.finished_at !== null);
        if (done) {
          if (done.checksum !== m.checksum) {
            throw new Error(`migration ${m.name} was modified after it was applied (checksum mismatch)`);
          }
          return false;
        }
        if (rows.length > 0) {
          throw new Error(
            `migration ${m.name} previously failed; resolve it before migrating (prisma migrate resolve)`,
          );
        }
        const startedAt = prismaDateTime(new Date());
        db.exec(m.sql);
        insert.run(randomUUID(), m.checksum, prismaDateTime(new Date()), m.name, startedAt);
        return true;
      });
      (applyOne.immediate() ? result.applied : result.alreadyApplied).push(m.name);
    }
  } finally {
    db.close();
  }
  return result;
}
