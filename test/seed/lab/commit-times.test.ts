// readCommitTimes against a real broker: the outcome events' record timestamps, first emission only.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EVENTS_TOPIC } from "../../../apps/shared/topics.ts";
import { createKafka } from "../../../broker/client/factory.ts";
import { logLevel } from "../../../broker/client/index.ts";
import { readCommitTimes } from "../../../seed/lab/commit-times.ts";
import { type BrokerProcess, startBroker } from "../../helpers/broker-process.ts";

describe("readCommitTimes", () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await startBroker({ config: { "num.partitions": 2 } });
  });
  after(async () => {
    await broker?.cleanup();
  });

  it("when events were emitted (one of them again later), then each asked-for command gets its first event's timestamp, and one never emitted is left out", async () => {
    const kafka = await createKafka({
      clientId: "commit-times-test",
      brokers: [broker.address],
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    const event = (eventId: string, timestamp: number) => ({
      key: "user-1",
      value: JSON.stringify({ eventId }),
      timestamp: String(timestamp),
    });
    await producer.send({
      topic: EVENTS_TOPIC,
      messages: [event("c1", 1_000), event("c2", 1_010), event("other", 1_020)],
    });
    // A redelivered batch's outcome, emitted again: it says nothing about when c1 was committed.
    await producer.send({
      topic: EVENTS_TOPIC,
      messages: [event("c1", 5_000), { key: "user-1", value: JSON.stringify({ no: "eventId" }) }],
    });
    await producer.disconnect();

    const times = await readCommitTimes([broker.address], new Set(["c1", "c2", "never"]), { quietMs: 1_500 });

    assert.deepEqual([...times].sort(), [
      ["c1", 1_000],
      ["c2", 1_010],
    ]);
  });
});
