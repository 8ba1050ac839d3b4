import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { systemScheduler } from "../../../../broker/server/groups/scheduler.ts";

const repoRoot = fileURLToPath(new URL("../../../..", import.meta.url));

/** Runs `wait` with the event loop held open: the scheduler's timers do not hold it themselves. */
async function holdingTheLoop<T>(wait: () => Promise<T>): Promise<T> {
  const hold = setInterval(() => {}, 60_000);
  try {
    return await wait();
  } finally {
    clearInterval(hold);
  }
}

describe("systemScheduler", () => {
  it("when a timer is set, then it fires; when cancelled, then it does not", async () => {
    const fired: string[] = [];
    await holdingTheLoop(() => {
      const kept = new Promise<void>((resolve) =>
        systemScheduler.setTimer(1, () => {
          fired.push("kept");
          resolve();
        }),
      );
      systemScheduler.setTimer(0, () => fired.push("cancelled")).cancel();
      return kept;
    });
    // Timers fire in due order; the cancelled one was due first and would have fired already.
    assert.deepEqual(fired, ["kept"]);
  });

  it("when only group timers are left, then the process exits without waiting for them", () => {
    const script = `import { systemScheduler } from "./broker/server/groups/scheduler.ts";
systemScheduler.setTimer(600000, () => console.log("fired"));
console.log("set");`;
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, "set\n");
  });

  it("when asked the time, then it is the wall clock in milliseconds", () => {
    const before = Date.now();
    const now = systemScheduler.now();
    assert.ok(now >= before && now <= Date.now());
  });
});
