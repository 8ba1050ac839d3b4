// Reading the topic being migrated as stored, against a real broker process.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Kafka, logLevel } from "../../../broker/client/index.ts";
import { SourceLog } from "../../../seed/migrate/source-log.ts";
import { useBroker } from "../../helpers/broker-process.ts";
import { range } from "../../helpers/wait.ts";

describe("SourceLog", () => {
  const broker = useBroker();
  let source: SourceLog;
  before(async () => {
    const kafka = new Kafka({ clientId: "source-log-test", brokers: [broker.address], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "src", numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    // Several sends: several record batches on partition 0.
    for (const chunk of range(5))
      await producer.send({
        topic: "src",
        messages: range(10).map((i) => ({ partition: 0, key: "k", value: `v${chunk * 10 + i}` })),
      });
    await producer.disconnect();
    source = new SourceLog([broker.address]);
  });
  after(() => source?.disconnect());

  it("when a partition has records and another none, then their bounds are start 0 and their ends", async () => {
    assert.deepEqual(await source.bounds("src", 2), [
      { start: 0n, end: 50n },
      { start: 0n, end: 0n },
    ]);
  });

  it("when a range inside the log is read, then exactly its records come, in offset order, across batch boundaries", async () => {
    const values: string[] = [];
    const offsets: string[] = [];
    for await (const fetched of source.read("src", 0, 7n, 33n))
      for (const m of fetched) {
        values.push(m.value!.toString());
        offsets.push(m.offset);
      }
    assert.deepEqual(
      values,
      range(26).map((i) => `v${i + 7}`),
    );
    assert.deepEqual(
      offsets,
      range(26).map((i) => String(i + 7)),
    );
  });

  it("when the range is empty, then nothing is read", async () => {
    let fetches = 0;
    for await (const _ of source.read("src", 1, 0n, 0n)) fetches++;
    assert.equal(fetches, 0);
  });

  it("when the range reaches past the end, then the read fails instead of returning less", async () => {
    await assert.rejects(async () => {
      for await (const _ of source.read("src", 0, 45n, 60n));
    }, /has no records from offset 50/);
  });
});
