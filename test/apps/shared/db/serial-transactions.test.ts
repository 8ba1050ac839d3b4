// Transactions on one connection, one at a time: on a real SQLite file.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import Database from "better-sqlite3";
import { serialTransactions } from "../../../../apps/shared/db/serial-transactions.ts";

const dir = mkdtempSync(join(tmpdir(), "serial-transactions-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function table() {
  const db = new Database(join(dir, `${Math.random().toString(36).slice(2)}.db`));
  db.exec("CREATE TABLE t (n INTEGER)");
  const insert = db.prepare("INSERT INTO t (n) VALUES (?)");
  const rows = () => db.prepare("SELECT n FROM t ORDER BY rowid").pluck().all() as number[];
  return { db, insert, rows };
}

it("when transactions are asked for while one awaits, then each runs whole after the one before, in the order asked", async () => {
  const { db, insert, rows } = table();
  const inTransaction = serialTransactions(db);
  const results = await Promise.all(
    [1, 2, 3].map((n) =>
      inTransaction(async () => {
        insert.run(n);
        await new Promise((resolve) => setImmediate(resolve));
        assert.ok(db.inTransaction, "still inside its own transaction after an await");
        insert.run(n * 10);
        return n;
      }),
    ),
  );
  assert.deepEqual(results, [1, 2, 3]);
  assert.deepEqual(rows(), [1, 10, 2, 20, 3, 30]);
  db.close();
});

it("when a transaction's work fails, then its writes are rolled back, it fails alone, and the next one commits", async () => {
  const { db, insert, rows } = table();
  const inTransaction = serialTransactions(db);
  const failing = inTransaction(async () => {
    insert.run(1);
    throw new Error("boom");
  });
  const next = inTransaction(async () => insert.run(2));
  await assert.rejects(failing, /boom/);
  await next;
  assert.deepEqual(rows(), [2]);
  assert.equal(db.inTransaction, false);
  db.close();
});
