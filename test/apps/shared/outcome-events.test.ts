// Reading outcome events off points.events, and keeping the first of each eventId.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLog } from "../../../apps/shared/log.ts";
import { firstOfEachEventId, readOutcomeEvent, readOutcomeEvents } from "../../../apps/shared/outcome-events.ts";
import type { KafkaMessage } from "../../../broker/client/consumer/types.ts";
import { outcomeEvent } from "../../helpers/outcome-events.ts";

const message = (value: string | null, offset: string): KafkaMessage => ({
  key: Buffer.from("u1"),
  value: value === null ? null : Buffer.from(value),
  timestamp: "0",
  attributes: 0,
  offset,
  headers: {},
});

describe("outcome events", () => {
  it("when a value is an outcome event, then it is read as one; anything else (not JSON, another shape, no time, no value) is none", () => {
    const event = outcomeEvent({ eventId: "e1" });
    assert.deepEqual(readOutcomeEvent(Buffer.from(JSON.stringify(event))), event);
    assert.equal(readOutcomeEvent(Buffer.from("{not json")), undefined);
    assert.equal(readOutcomeEvent(Buffer.from(JSON.stringify({ ...event, amount: -1 }))), undefined);
    assert.equal(readOutcomeEvent(Buffer.from(JSON.stringify({ ...event, appliedAt: "later" }))), undefined);
    assert.equal(readOutcomeEvent(null), undefined);
  });

  it("when a batch holds unreadable values, then its events come in offset order and each unreadable one is logged with its place", () => {
    const lines: string[] = [];
    const log = createLog("test", (line) => lines.push(line));
    const [a, b] = [outcomeEvent({ eventId: "a" }), outcomeEvent({ eventId: "b" })];
    const events = readOutcomeEvents(
      {
        topic: "points.events",
        partition: 2,
        messages: [
          message(JSON.stringify(a), "10"),
          message("{not json", "11"),
          message(JSON.stringify(b), "12"),
          message(null, "13"),
        ],
      },
      log,
    );
    assert.deepEqual(events, [a, b]);
    assert.equal(lines.length, 2, lines.join(""));
    assert.match(lines[0]!, /skipping unreadable event at points\.events\/2 offset 11/);
    assert.match(lines[1]!, /skipping unreadable event at points\.events\/2 offset 13/);
  });

  it("when an eventId occurs twice in a batch, then only its first occurrence is kept, in order", () => {
    const events = [
      outcomeEvent({ eventId: "a", amount: 1 }),
      outcomeEvent({ eventId: "b", amount: 2 }),
      outcomeEvent({ eventId: "a", amount: 3 }),
      outcomeEvent({ eventId: "c", amount: 4 }),
    ];
    assert.deepEqual(
      firstOfEachEventId(events).map((e) => [e.eventId, e.amount]),
      [
        ["a", 1],
        ["b", 2],
        ["c", 4],
      ],
    );
  });
});
