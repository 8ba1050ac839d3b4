import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { createLog, turnBuffered } from "../../../apps/shared/log.ts";

function captured(format: "human" | "json") {
  const lines: string[] = [];
  return { lines, log: createLog("ledger", (line) => lines.push(line), format) };
}

describe("service log", () => {
  it("when human-readable (the default), then each event is one `[service] message` line, an error after a colon, a warning marked", () => {
    const { lines, log } = captured("human");
    log.info("joined group ledger as ledger-1 (leader): partitions [0, 2, 4] of points.commands");
    log.error("consumer crashed, restarting", new Error("socket hang up"));
    log.error("stop failed", "timeout");
    log.error("plain failure");
    log.warn("metrics listens on 0.0.0.0:9100, beyond loopback");
    assert.deepEqual(lines, [
      "[ledger] joined group ledger as ledger-1 (leader): partitions [0, 2, 4] of points.commands\n",
      "[ledger] consumer crashed, restarting: socket hang up\n",
      "[ledger] stop failed: timeout\n",
      "[ledger] plain failure\n",
      "[ledger] warning: metrics listens on 0.0.0.0:9100, beyond loopback\n",
    ]);
  });

  it("when LOG_FORMAT=json, then each event is one JSON line with time, level, service, message and error", () => {
    const { lines, log } = captured("json");
    log.info("consuming points.commands as group ledger");
    log.error("consumer crashed, restarting", new Error("socket hang up"));
    assert.equal(lines.length, 2);
    assert.ok(lines.every((line) => line.endsWith("\n")));
    const [info, error] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(!Number.isNaN(Date.parse(info!.time as string)));
    assert.deepEqual(
      { ...info, time: undefined },
      { level: "info", time: undefined, service: "ledger", message: "consuming points.commands as group ledger" },
    );
    assert.deepEqual(
      { level: error!.level, message: error!.message, error: error!.error },
      { level: "error", message: "consumer crashed, restarting", error: "socket hang up" },
    );
  });

  it("when lines are written in one turn of the event loop, then they leave in one write once the turn ends, and a later turn's in another", async () => {
    const writes: string[] = [];
    const write = turnBuffered((text) => writes.push(text));
    write("[notification] a\n");
    write("[notification] b\n");
    assert.deepEqual(writes, [], "nothing leaves before the turn ends");
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(writes, ["[notification] a\n[notification] b\n"]);
    write("[notification] c\n");
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(writes, ["[notification] a\n[notification] b\n", "[notification] c\n"]);
  });

  it("when the lines are flushed at once (a process about to SIGKILL itself), then they are written before the turn ends, once", async () => {
    const writes: string[] = [];
    const write = turnBuffered((text) => writes.push(text));
    write("[ledger] fault injection\n");
    write.flushNow();
    assert.deepEqual(writes, ["[ledger] fault injection\n"]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(writes, ["[ledger] fault injection\n"], "nothing written twice");
  });

  it("when a service logs and exits in the same turn, then its lines are still written", () => {
    const logModule = new URL("../../../apps/shared/log.ts", import.meta.url).href;
    const script = `const { createLog } = await import(${JSON.stringify(logModule)}); const log = createLog("ledger"); log.info("first"); log.error("crashed", new Error("boom")); process.exit(1);`;
    let output = "";
    try {
      execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
    } catch (error) {
      output = (error as { stdout: string }).stdout;
    }
    assert.equal(output, "[ledger] first\n[ledger] crashed: boom\n");
  });
});
