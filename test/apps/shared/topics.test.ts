import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  COMMANDS_TOPIC,
  EVENTS_TOPIC,
  type PointsCommand,
  type PointsEvent,
  pointsCommandSchema,
  pointsEventSchema,
} from "../../../apps/shared/topics.ts";

const command: PointsCommand = {
  commandId: "c-1",
  type: "charge",
  userId: "u1",
  amount: 500,
  storeId: "s1",
  terminalId: "t1",
  orderId: "o-9",
  issuedAt: "2026-01-01T10:00:00.000Z",
};

const event: PointsEvent = {
  eventId: "c-1",
  commandId: "c-1",
  type: "deduct",
  status: "rejected",
  userId: "u1",
  amount: 900,
  balanceAfter: 400,
  reason: "insufficient balance",
  storeId: "s1",
  terminalId: "t1",
  issuedAt: "2026-01-01T10:00:00.000Z",
  appliedAt: "2026-01-01T10:00:01.000Z",
  source: { topic: COMMANDS_TOPIC, partition: 2, offset: "17" },
};

describe("the demo's topics", () => {
  it("when the topics are named, then commands and events have topics of their own", () => {
    assert.deepEqual([COMMANDS_TOPIC, EVENTS_TOPIC], ["points.commands", "points.events"]);
  });

  it("when a command is read back from its JSON, then it is the command that was written", () => {
    assert.deepEqual(pointsCommandSchema.parse(JSON.parse(JSON.stringify(command))), command);
    const { orderId: _orderId, ...withoutOrder } = command;
    assert.deepEqual(pointsCommandSchema.parse(withoutOrder), withoutOrder);
  });

  it("when a command has an unknown type, a non-positive or fractional amount, or misses an id, then it is refused", () => {
    for (const broken of [
      { ...command, type: "refund" },
      { ...command, amount: 0 },
      { ...command, amount: -5 },
      { ...command, amount: 1.5 },
      { ...command, userId: "" },
      { ...command, commandId: undefined },
      { ...command, issuedAt: undefined },
    ]) {
      assert.equal(pointsCommandSchema.safeParse(broken).success, false, JSON.stringify(broken));
    }
  });

  it("when an outcome event is read back from its JSON, then it is the event that was written, source included", () => {
    assert.deepEqual(pointsEventSchema.parse(JSON.parse(JSON.stringify(event))), event);
  });

  it("when an event has an unknown status, a negative balance or no source, then it is refused", () => {
    for (const broken of [
      { ...event, status: "pending" },
      { ...event, balanceAfter: -1 },
      { ...event, source: undefined },
      { ...event, source: { ...event.source, partition: 0.5 } },
    ]) {
      assert.equal(pointsEventSchema.safeParse(broken).success, false, JSON.stringify(broken));
    }
  });
});
