import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { benchConsume, fillTopic } from "../../bench/client-consume.ts";
import { ALL_CLIENTS, topicRecords } from "../../bench/lib.ts";
import { type BrokerProcess, startBroker } from "../helpers/broker-process.ts";

describe("benchConsume and fillTopic", () => {
  let broker: BrokerProcess;
  before(async () => {
    broker = await startBroker({ config: { "group.initial.rebalance.delay.ms": 0 } });
    await fillTopic(broker.address, "filled", 3, 3_000, 50);
  });
  after(() => broker?.cleanup());

  it("when a topic is filled, then it holds exactly the records asked for, in batches of 1,000 spread over its partitions", async () => {
    assert.equal(await topicRecords(broker.address, "filled"), 3_000);
  });

  it("when more records are filled than were asked for, then fillTopic fails naming both counts", async () => {
    await fillTopic(broker.address, "twice", 1, 1_000);
    await assert.rejects(fillTopic(broker.address, "twice", 1, 1_000), /twice holds 2000 records, 1000 were sent/);
  });

  for (const client of ALL_CLIENTS) {
    it(`when ${client} consumes, then it reads the records asked for and reports their bytes per second`, async () => {
      const result = await benchConsume({
        address: broker.address,
        client,
        topic: "filled",
        records: 3_000,
        warmUpRecords: 500,
        consumerConfig: { maxWaitTimeInMs: 100 },
      });
      assert.equal(result.records, 3_000);
      // Every record is 50 bytes: MB/s is records/s × 50 / 10^6, up to rounding.
      assert.ok(Math.abs(result.mbPerSec - (result.recordsPerSec * 50) / 1e6) <= 0.006, JSON.stringify(result));
      assert.ok(result.fromRun.seconds >= result.seconds);
      assert.ok(result.secondsToFirstRecord <= result.fromRun.seconds);
    });
  }

  it("when the topic holds fewer records than asked for, then the run fails after its timeout, saying how many arrived", async () => {
    await assert.rejects(
      benchConsume({ address: broker.address, client: "ours", topic: "filled", records: 5_000, timeoutMs: 3_000 }),
      /benchConsume\(ours\): only \d+ of 5000 records after 3000 ms/,
    );
  });
});
