// Faults by pid on a real process (a `sleep`): a pause is awaited until the kernel reports it
// stopped, a resume lets it run again, a crash is awaited until it is gone.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  crash,
  holdRestarted,
  isAlive,
  pause,
  pidsWithDataDir,
  processCpuTicks,
  processState,
  processUsage,
  resume,
} from "../../../seed/fault/processes.ts";
import { waitUntil } from "../../../seed/fault/wait-until.ts";

describe("process faults", () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) child.kill("SIGKILL");
  });
  const sleeper = (): number => {
    const child = spawn("sleep", ["60"], { stdio: "ignore" });
    children.push(child);
    // Reaped as soon as it dies, so that a crash is seen as gone, not as a zombie.
    child.on("exit", () => {});
    return child.pid!;
  };

  it("when a process is paused, then it is stopped until it is resumed", async () => {
    const pid = sleeper();
    await pause(pid);
    assert.equal(processState(pid), "T");
    resume(pid);
    await waitUntil(() => processState(pid) !== "T", { message: "running again" });
    assert.equal(isAlive(pid), true);
  });

  it("when a process runs, then its resident memory and open descriptors are read; a file it opens is one more, until closed", () => {
    const before = processUsage(process.pid)!;
    assert.ok(before.rssBytes > 1_000_000, `${before.rssBytes} bytes resident`);
    const fd = openSync(fileURLToPath(import.meta.url), "r");
    try {
      assert.equal(processUsage(process.pid)!.openFds, before.openFds + 1);
    } finally {
      closeSync(fd);
    }
    assert.equal(processUsage(process.pid)!.openFds, before.openFds);
  });

  it("when a process is gone, then it has no usage to read", async () => {
    const pid = sleeper();
    assert.ok(processUsage(pid)!.openFds >= 0);
    await crash(pid);
    assert.equal(processUsage(pid), null);
  });

  it("when a process keeps computing, then its CPU ticks grow, as its own clock says", () => {
    const before = processCpuTicks(process.pid)!;
    const cpuBefore = process.cpuUsage();
    // Busy until the kernel has charged it ten ticks more: no timing, only the counter.
    while (processCpuTicks(process.pid)! < before + 10) for (let i = 0; i < 100_000; i++) Math.sqrt(i);
    const spentUs = process.cpuUsage(cpuBefore);
    // Ticks are 1/100 s (getconf CLK_TCK), so ten are over 90 ms of the kernel's account; the
    // process's own count (getrusage) is split and rounded differently (2 ticks once read as
    // 6.5 ms), so it is held to half of that.
    assert.ok(spentUs.user + spentUs.system >= 45_000, `${spentUs.user + spentUs.system} µs for 10 ticks`);
  });

  it("when a process is crashed, then it is gone once crash resolves", async () => {
    const pid = sleeper();
    await crash(pid);
    assert.equal(isAlive(pid), false);
  });

  it("when a paused process is crashed, then it is gone too", async () => {
    const pid = sleeper();
    await pause(pid);
    await crash(pid);
    assert.equal(isAlive(pid), false);
  });

  /** A process whose command line names `dataDir` as a broker's does. */
  const withDataDir = (dataDir: string): number => {
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", "--", "--data-dir", dataDir], {
      stdio: "ignore",
    });
    children.push(child);
    child.on("exit", () => {});
    return child.pid!;
  };

  it("when processes name a data dir, then they are found by it", async () => {
    const dataDir = `/tmp/no-such-broker-${process.pid}-a`;
    const pid = withDataDir(dataDir);
    await waitUntil(() => pidsWithDataDir(dataDir).includes(pid), { message: "the process found" });
    assert.deepEqual(pidsWithDataDir(dataDir), [pid]);
    assert.deepEqual(pidsWithDataDir(`${dataDir}-other`), []);
  });

  it("when a process on a data dir is replaced by a new one, then holdRestarted pauses the new one", async () => {
    const dataDir = `/tmp/no-such-broker-${process.pid}-b`;
    const old = withDataDir(dataDir);
    await waitUntil(() => pidsWithDataDir(dataDir).includes(old), { message: "the old process found" });
    const held = holdRestarted(dataDir, old);
    await crash(old);
    const replacement = withDataDir(dataDir);
    assert.equal(await held, replacement);
    assert.equal(processState(replacement), "T");
    resume(replacement);
  });

  it("when there is no such process, then its state and CPU ticks are null and resuming it is harmless", () => {
    assert.equal(processCpuTicks(2 ** 22 + 12345), null);
    assert.equal(processState(2 ** 22 + 12345), null);
    resume(2 ** 22 + 12345);
  });
});
