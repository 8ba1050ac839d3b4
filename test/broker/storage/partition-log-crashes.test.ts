// Crash matrix of the partition log: the workload (fault-workload.ts: appends that roll segments
// and write both indexes, leader-epoch and high-watermark checkpoints, a truncation, a roll) is
// cut at every one of its disk operations in turn — every step of every segment roll and every
// index write among them — by a killed process (what was written stays, a write there torn or
// not) and by a power loss (only what was fsynced stays). Each time the log reopens to the last
// whole batch with every acknowledged batch (flush.messages=1) there, indexes that agree with
// the log, and appends that go on; see expected-log.ts for everything checked.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ExpectedLog } from "./expected-log.ts";
import { freshDisk, openWorkloadLog, runWorkload, workloadOperations } from "./fault-workload.ts";
import { FaultyFileSystem, SimulatedCrash } from "./faulty-file-system.ts";
import type { SimulatedDisk } from "./simulated-disk.ts";

type Ending = { name: string; tornWrite: boolean; end: (disk: SimulatedDisk) => void };

const endings: Ending[] = [
  { name: "the process is killed", tornWrite: false, end: (disk) => disk.kill() },
  { name: "the process is killed part-way through a write", tornWrite: true, end: (disk) => disk.kill() },
  { name: "the power is lost", tornWrite: false, end: (disk) => disk.powerLoss() },
];

/** Runs the workload until the process dies at operation `n`, ends it as `ending` says, and checks the restart. */
function crashAndRestart(n: number, operation: string, ending: Ending): void {
  const disk = freshDisk();
  const faulty = new FaultyFileSystem(disk);
  const label = `${ending.name} at operation ${n} (${operation})`;
  faulty.crashAtOperation(n, { tornBytes: ending.tornWrite ? 7 : 0 });
  const expected = new ExpectedLog();
  assert.throws(() => runWorkload(openWorkloadLog(faulty), expected), SimulatedCrash, label);
  ending.end(disk);
  const restarted = openWorkloadLog(disk);
  expected.assertRecovered(restarted, (path) => disk.contentOf(path), label);
  expected.assertAppendsContinue(restarted, label);
  restarted.close();
  const again = openWorkloadLog(disk);
  expected.assertRecovered(again, (path) => disk.contentOf(path), `${label}, then a clean restart`);
  again.close();
}

const operations = workloadOperations(() => new ExpectedLog());

for (const ending of endings) {
  test(`when ${ending.name} at any disk operation of the workload, then the log reopens at its last whole batch with nothing acknowledged lost`, () => {
    let crashes = 0;
    for (const [i, operation] of operations.entries()) {
      const isWrite = operation.startsWith("append ") || operation.startsWith("writeAt ");
      if (ending.tornWrite && !isWrite) continue;
      crashAndRestart(i + 1, operation, ending);
      crashes += 1;
    }
    assert.ok(crashes > (ending.tornWrite ? 20 : 100), `${crashes} crash points`);
  });
}
