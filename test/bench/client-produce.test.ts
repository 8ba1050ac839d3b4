import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { benchProduce } from "../../bench/client-produce.ts";
import { ALL_CLIENTS, topicRecords } from "../../bench/lib.ts";
import { type BrokerProcess, startBroker } from "../helpers/broker-process.ts";

describe("benchProduce", () => {
  let broker: BrokerProcess;
  before(async () => {
    broker = await startBroker();
  });
  after(() => broker?.cleanup());

  for (const client of ALL_CLIENTS) {
    it(`when ${client} produces, then the timed run is whole rounds of sends, and the broker holds the warm-up's records and the run's`, async () => {
      const result = await benchProduce({
        address: broker.address,
        client,
        partitions: 2,
        batchSize: 10,
        inFlight: 3,
        records: 100,
        recordBytes: 20,
        warmUpMs: 50,
      });
      // 100 records in rounds of 3 sends of 10: 120.
      assert.equal(result.records, 120);
      assert.ok(result.warmUp.records > 0);
      // Every record is 20 bytes: MB/s is records/s × 20 / 10^6, up to rounding.
      assert.ok(result.recordsPerSec > 0);
      assert.ok(Math.abs(result.mbPerSec - (result.recordsPerSec * 20) / 1e6) <= 0.006, JSON.stringify(result));
      const metadata = await topicsOf(broker.address, client);
      assert.equal(metadata.length, 1);
      assert.equal(await topicRecords(broker.address, metadata[0]!), result.records + result.warmUp.records);
    });
  }
});

/** The topics benchProduce made for `client` (named bench-produce-<client>-…). */
async function topicsOf(address: string, client: string): Promise<string[]> {
  const { Kafka, logLevel } = await import("kafkajs");
  const admin = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).filter((topic) => topic.startsWith(`bench-produce-${client}-`));
  } finally {
    await admin.disconnect();
  }
}
