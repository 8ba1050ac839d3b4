import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "../../../broker/server/logger.ts";

function captured() {
  const lines: Record<string, unknown>[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(JSON.parse(line)) } };
}

describe("logger", () => {
  it("when a message is logged with fields, then one JSON line has time, level, message and the fields, bigints as strings", () => {
    const { lines, destination } = captured();
    createLogger("info", destination).warn("recovered a torn log tail", {
      topic: "t",
      segment: 9007199254740993n,
      nested: { offsets: [1n] },
    });
    assert.equal(lines.length, 1);
    const { time, ...rest } = lines[0]!;
    assert.ok(!Number.isNaN(Date.parse(time as string)));
    assert.deepEqual(rest, {
      level: "warn",
      message: "recovered a torn log tail",
      topic: "t",
      segment: "9007199254740993",
      nested: { offsets: ["1"] },
    });
  });

  it("when the level is info, then debug lines are dropped; when it is debug, then they are written", () => {
    const info = captured();
    createLogger("info", info.destination).debug("produce refused", { topic: "t" });
    assert.deepEqual(info.lines, []);
    const debug = captured();
    createLogger("debug", debug.destination).debug("produce refused %s", { topic: "t" });
    assert.deepEqual(
      debug.lines.map(({ level, message, topic }) => ({ level, message, topic })),
      [{ level: "debug", message: "produce refused %s", topic: "t" }],
    );
  });
});
