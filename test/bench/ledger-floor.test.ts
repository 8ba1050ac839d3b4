// The ledger's SQLite floor the ledger suite reports: the ledger's own repository on a real file.
import assert from "node:assert/strict";
import { it } from "node:test";
import { measureLedgerFloor } from "../../bench/ledger-floor.ts";
import { generateWorkload } from "../../seed/load/workload.ts";

it("when 300 commands go through the ledger's repository in batches of 50, then six transactions are timed and their CPU per command is positive", async () => {
  const { commands } = generateWorkload({ users: 40, commands: 300, seed: 7 });
  const floor = await measureLedgerFloor(commands, 3, 50);
  assert.equal(floor.commands, 300);
  assert.equal(floor.batchSize, 50);
  assert.equal(floor.transactions, 6);
  assert.ok(floor.sqliteCpuUsPerCommand > 0 && Number.isFinite(floor.sqliteCpuUsPerCommand));
  // Both from the same CPU time; the µs figure is rounded to 2 decimals.
  const expected = 1e6 / floor.sqliteCpuUsPerCommand;
  assert.ok(
    Math.abs(floor.commandsPerSecOneCore - expected) / expected < 0.01,
    `${floor.commandsPerSecOneCore} vs ${expected}`,
  );
  assert.ok(floor.sqliteWallUsPerCommand > 0);
});
