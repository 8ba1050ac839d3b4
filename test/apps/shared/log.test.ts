import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLog } from "../../../apps/shared/log.ts";

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
});
