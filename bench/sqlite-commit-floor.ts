// The floor under a consumer service's batch: the CPU of one durable SQLite commit, as the ledger,
// notification and analytics make one per batch (WAL, synchronous FULL: SQLite's defaults, which
// the services keep, so that a committed batch survives a power cut before its offsets are
// committed). A one-row transaction at a time on a fresh file, in this process; most of it is the
// kernel's fsync of the WAL. At a low rate a batch holds one command, so each service pays this once
// per command.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";

export async function durableCommitFloorUs(commits = 2_000): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-sqlite-commit-"));
  const db = new Database(path.join(dir, "floor.db"));
  try {
    db.pragma("journal_mode = WAL");
    db.exec(`CREATE TABLE "Seen" ("id" TEXT PRIMARY KEY, "at" TEXT NOT NULL)`);
    const insert = db.prepare(`INSERT INTO "Seen" ("id", "at") VALUES (?, ?)`);
    const commitOne = db.transaction((id: string) => insert.run(id, new Date().toISOString()));
    const before = process.cpuUsage();
    for (let i = 0; i < commits; i++) commitOne(`event-${i}`);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / commits;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
