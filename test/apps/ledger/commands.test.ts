// Reading messages of points.commands: valid commands come out with their source, anything else
// with a reason to skip it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCommandMessage } from "../../../apps/ledger/commands.ts";
import type { KafkaMessage } from "../../../broker/client/consumer/types.ts";
import { command } from "./ledger-fixture.ts";

const message = (value: string | null, offset = "7"): KafkaMessage => ({
  key: Buffer.from("alice"),
  value: value === null ? null : Buffer.from(value),
  timestamp: "0",
  attributes: 0,
  offset,
  headers: {},
});
const parse = (value: string | null) => parseCommandMessage(message(value), "points.commands", 3, 1_000_000);
const whyNot = (value: string | null): string => {
  const parsed = parse(value);
  assert.equal(parsed.ok, false);
  return parsed.ok ? "" : parsed.why;
};

describe("ledger command messages", () => {
  it("when the value is a valid command, then it comes with its topic, partition and offset", () => {
    const valid = command({ commandId: "c1", userId: "alice", orderId: "o-1" });
    const parsed = parseCommandMessage(
      message(JSON.stringify(valid), "12345678901234"),
      "points.commands",
      3,
      1_000_000,
    );
    assert.deepEqual(parsed, {
      ok: true,
      command: { command: valid, source: { topic: "points.commands", partition: 3, offset: 12345678901234n } },
    });
  });

  it("when the value is not JSON or missing, then it is refused with the reason", () => {
    assert.match(whyNot("{not json"), /not JSON/);
    assert.match(whyNot(null), /no value/);
  });

  it("when the value does not match the command schema, then the first problem is named", () => {
    assert.match(whyNot(JSON.stringify({ ...command({ commandId: "c1", userId: "alice" }), amount: -5 })), /^amount:/);
    assert.match(
      whyNot(JSON.stringify({ ...command({ commandId: "c1", userId: "alice" }), type: "refund" })),
      /^type:/,
    );
    assert.match(whyNot(JSON.stringify([1, 2])), /^value:/);
  });

  it("when issuedAt is not a time or the amount is above the maximum, then it is refused (it could not be stored)", () => {
    assert.match(
      whyNot(JSON.stringify(command({ commandId: "c1", userId: "alice", issuedAt: "yesterday" }))),
      /^issuedAt/,
    );
    assert.match(
      whyNot(JSON.stringify(command({ commandId: "c1", userId: "alice", amount: 1_000_001 }))),
      /above the maximum/,
    );
  });
});
