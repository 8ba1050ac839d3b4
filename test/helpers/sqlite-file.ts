// A real, migrated SQLite file for tests of repositories and use cases: a fresh file (and Prisma
// client) for each test of a suite, or one for the whole suite; all removed when the suite ends.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach } from "node:test";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { migrate, PrismaClient } from "../../apps/shared/db/client.ts";

export interface FreshDatabase {
  /** The current test's client (logs its queries, see `statements`). */
  readonly db: PrismaClient<"query">;
  /** The current test's file, for raw looks with better-sqlite3. */
  readonly file: string;
  /** Every statement the current test's client ran, in order. */
  readonly statements: string[];
}

/** Registers before/beforeEach/after hooks in the calling suite; read the fields inside tests. */
export function freshDatabaseEachTest(prefix: string): FreshDatabase {
  let dir: string | undefined;
  let db: PrismaClient<"query"> | undefined;
  let file = "";
  let count = 0;
  const statements: string[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  });
  beforeEach(async () => {
    await db?.$disconnect();
    file = join(dir!, `points-${++count}.db`);
    db = migratedClient(file, statements);
    statements.length = 0;
  });
  after(async () => {
    await db?.$disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get db() {
      return db!;
    },
    get file() {
      return file;
    },
    statements,
  };
}

/** One file and client for all the tests of a suite (they clear what they need); read the fields inside tests. */
export function databaseForSuite(prefix: string): FreshDatabase {
  let dir: string | undefined;
  let db: PrismaClient<"query"> | undefined;
  let file = "";
  const statements: string[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    file = join(dir, "points.db");
    db = migratedClient(file, statements);
  });
  after(async () => {
    await db?.$disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get db() {
      return db!;
    },
    get file() {
      return file;
    },
    statements,
  };
}

/** Migrates `file` and opens a client on it that reports every statement it runs into `statements`. */
function migratedClient(file: string, statements: string[]): PrismaClient<"query"> {
  migrate(`file:${file}`);
  const db = new PrismaClient({
    adapter: new PrismaBetterSQLite3({ url: `file:${file}` }),
    log: [{ emit: "event", level: "query" }],
  });
  db.$on("query", (event) => statements.push(event.query));
  return db;
}
