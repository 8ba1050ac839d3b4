// The ledger crash loop, the CI version: 5 kill -9 of the ledger while points-api takes commands at
// a steady rate, each followed by a restart; the bench runs 50 (`npm run bench -- --only crashloop`).
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { crashSchedule, runCrashLoop } from "../../../seed/fault/ledger-crash-loop.ts";
import { noAnomalies } from "../../../seed/lab/verify.ts";

describe("the ledger crash loop", () => {
  it("when a schedule is drawn, then the same seed gives the same kills, most while applying, each delay within its bound", () => {
    const schedule = crashSchedule(200, 7, 3_000);
    assert.deepEqual(crashSchedule(200, 7, 3_000), schedule);
    assert.notDeepEqual(crashSchedule(200, 8, 3_000), schedule);
    const starting = schedule.filter((k) => k.kind === "starting");
    assert.ok(starting.length > 10 && starting.length < 80, `${starting.length} of 200 at the start`);
    assert.ok(starting.every((k) => k.delayMs >= 0 && k.delayMs <= 1_000));
    assert.ok(schedule.filter((k) => k.kind === "applying").every((k) => k.delayMs >= 0 && k.delayMs <= 3_000));
    assert.ok(crashSchedule(20, 7, 3_000, 0).every((k) => k.kind === "applying"));
  });

  it("when the ledger is killed with kill -9 five times while commands flow, then every accepted command is applied exactly once and the balances are the replay's", {
    timeout: 300_000,
  }, async () => {
    const lines: string[] = [];
    const result = await runCrashLoop({
      kills: 5,
      rate: 150,
      users: 200,
      seed: 15,
      partitions: 6,
      maxDelayMs: 2_000,
      workDir: mkdtempSync(join(tmpdir(), "crash-loop-test-")),
      log: (line) => lines.push(line),
    });
    const { verification, kills } = result;
    const context = `${JSON.stringify(verification.examples)}\n${lines.join("\n")}`;
    assert.equal(kills.length, 5, context);
    assert.equal(new Set(kills.map((k) => k.pid)).size, 5, "each kill hit a new ledger process");
    for (const kill of kills.filter((k) => k.kind === "applying"))
      assert.ok(kill.appliedInLife > 0, `a kill while applying follows applied commands: ${JSON.stringify(kill)}`);
    assert.ok(result.accepted > kills.at(-1)!.appliedAtKill, "commands were still flowing after the last kill");
    assert.deepEqual(verification.anomalies, noAnomalies(), context);
    assert.equal(verification.applied, result.accepted, "one entry per accepted command");
  });
});
