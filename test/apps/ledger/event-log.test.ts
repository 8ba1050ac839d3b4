// The ledger's event log: one JSON line per assignment change of its topic and per redelivery,
// read back by parseEventLog (a torn last line left out).
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createEventLog, eventLogPathFrom, parseEventLog } from "../../../apps/ledger/event-log.ts";
import { consumerEvents } from "../../../broker/client/events.ts";
import type { KafkaClientConsumer } from "../../../broker/client/factory.ts";

/** Just enough of a consumer: its event names and `on`. */
function fakeConsumer(events: object = consumerEvents) {
  const emitter = new EventEmitter();
  const consumer = {
    events,
    on: (name: string, listener: (event: unknown) => void) => {
      emitter.on(name, listener);
      return () => emitter.off(name, listener);
    },
  } as unknown as KafkaClientConsumer;
  return { consumer, emit: (name: string, event: unknown) => emitter.emit(name, event) };
}

const change = (timestamp: number, reason: string, partitions: { topic: string; partitions: number[] }[]) => ({
  id: "1",
  type: "",
  timestamp,
  payload: { groupId: "ledger", memberId: "member-1", generationId: 3, rebalanceProtocol: "EAGER", reason, partitions },
});

describe("ledger event log", () => {
  it("when the consumer reports assignments and revocations and the ledger redeliveries, then each is one line in the file, for the topic only", () => {
    const dir = mkdtempSync(join(tmpdir(), "event-log-"));
    try {
      const file = join(dir, "m1.jsonl");
      const log = createEventLog(file, "ledger-m1");
      const { consumer, emit } = fakeConsumer();
      log.watch(consumer, "points.commands");
      emit(
        consumerEvents.PARTITIONS_ASSIGNED,
        change(1000, "join", [
          { topic: "points.commands", partitions: [4, 1] },
          { topic: "other", partitions: [0] },
        ]),
      );
      emit(consumerEvents.PARTITIONS_REVOKED, change(2000, "rebalance", [{ topic: "other", partitions: [0] }]));
      emit(consumerEvents.PARTITIONS_REVOKED, {
        ...change(3000, "lost", [{ topic: "points.commands", partitions: [1] }]),
        payload: { ...change(0, "lost", [{ topic: "points.commands", partitions: [1] }]).payload, cause: "fenced" },
      });
      log.redelivered(0);
      log.redelivered(5);
      const lines = parseEventLog(readFileSync(file, "utf8"));
      assert.deepEqual(lines.slice(0, 2), [
        {
          event: "assignment",
          at: 1000,
          member: "member-1",
          instance: "ledger-m1",
          generation: 3,
          protocol: "EAGER",
          reason: "join",
          assigned: [1, 4],
          revoked: [],
        },
        {
          event: "assignment",
          at: 3000,
          member: "member-1",
          instance: "ledger-m1",
          generation: 3,
          protocol: "EAGER",
          reason: "lost",
          assigned: [],
          revoked: [1],
          cause: "fenced",
        },
      ]);
      assert.equal(lines.length, 3);
      assert.deepEqual(
        { ...lines[2], at: 0 },
        { event: "redelivered", at: 0, member: "member-1", instance: "ledger-m1", count: 5 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("when the client has no assignment events (kafkajs), then nothing is listened to", () => {
    const written: string[] = [];
    const log = createEventLog("unused", null, (_file, text) => written.push(text));
    const { consumer } = fakeConsumer({ GROUP_JOIN: "consumer.group_join" });
    assert.doesNotThrow(() => log.watch(consumer, "points.commands"));
    assert.deepEqual(written, []);
  });

  it("when the file ends in a torn line, then the lines before it are read", () => {
    assert.deepEqual(
      parseEventLog('{"event":"redelivered","at":1,"member":"m","instance":null,"count":2}\n{"event":"assi'),
      [{ event: "redelivered", at: 1, member: "m", instance: null, count: 2 }],
    );
  });

  it("when LEDGER_EVENT_LOG is set, then it is the file; unset or empty means none", () => {
    assert.equal(eventLogPathFrom({ LEDGER_EVENT_LOG: "/tmp/x.jsonl" }), "/tmp/x.jsonl");
    assert.equal(eventLogPathFrom({ LEDGER_EVENT_LOG: "" }), undefined);
    assert.equal(eventLogPathFrom({}), undefined);
  });
});
