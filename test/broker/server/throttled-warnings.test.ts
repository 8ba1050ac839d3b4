import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ThrottledWarnings } from "../../../broker/server/throttled-warnings.ts";

describe("ThrottledWarnings", () => {
  const recorder = () => {
    const lines: Array<{ message: string; fields: Record<string, unknown> }> = [];
    let now = 0;
    const warnings = new ThrottledWarnings(
      { warn: (message, fields) => lines.push({ message, fields: fields ?? {} }) },
      1000,
      () => now,
    );
    return { lines, warnings, at: (ms: number) => (now = ms) };
  };

  it("when a warning repeats in a burst, then one line is logged per interval with the count since the last", () => {
    const { lines, warnings, at } = recorder();
    for (let i = 0; i < 5; i++) warnings.warn("connection refused: max.connections", { reason: "full" });
    at(1500);
    warnings.warn("connection refused: max.connections", { reason: "full" });
    assert.deepEqual(
      lines.map((line) => [line.fields.reason, line.fields.sinceLastLine]),
      [
        ["full", 1],
        ["full", 5],
      ],
    );
  });

  it("when two different warnings come in the same interval, then each is logged the first time", () => {
    const { lines, warnings } = recorder();
    warnings.warn("closing connection: bad request", { reason: "a" });
    warnings.warn("connection refused: max.connections.per.ip", { reason: "b" });
    warnings.warn("closing connection: bad request", { reason: "c" });
    assert.deepEqual(
      lines.map((line) => line.message),
      ["closing connection: bad request", "connection refused: max.connections.per.ip"],
    );
  });
});
