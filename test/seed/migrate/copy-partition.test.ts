// Copying a source partition onto the new topic, against a real broker process: records come out
// the same (key, value, headers, timestamp), each key on the partition it hashes to, in order.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Kafka, logLevel } from "../../../broker/client/index.ts";
import type { Producer } from "../../../broker/client/producer/index.ts";
import { copyPartition } from "../../../seed/migrate/copy-partition.ts";
import { SourceLog } from "../../../seed/migrate/source-log.ts";
import { targetPartition } from "../../../seed/migrate/target-partition.ts";
import { useBroker } from "../../helpers/broker-process.ts";
import { range } from "../../helpers/wait.ts";

describe("copyPartition", () => {
  const broker = useBroker();
  let kafka: Kafka;
  let producer: Producer;
  let source: SourceLog;
  before(async () => {
    kafka = new Kafka({ clientId: "copy-partition-test", brokers: [broker.address], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: "old", numPartitions: 1 },
        { topic: "new", numPartitions: 3 },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    // 60 records of 8 users, each with its sequence number, a header and a timestamp of its own; a keyless one.
    await producer.send({
      topic: "old",
      messages: [
        ...range(60).map((i) => ({
          key: `user-${i % 8}`,
          value: JSON.stringify({ seq: i }),
          headers: { source: `pos-${i}`, trace: Buffer.from([i, 255]) },
          timestamp: String(1_700_000_000_000 + i * 1000),
        })),
        { key: null, value: "keyless", timestamp: "1700000099000" },
      ],
    });
    source = new SourceLog([broker.address]);
  });
  after(async () => {
    source?.disconnect();
    await producer?.disconnect();
  });

  it("when partition 0 is copied from offset 5 to 50 onto 3 partitions, then each record lands on its key's partition unchanged and in order", async () => {
    const copied = await copyPartition(source, producer, {
      from: "old",
      to: "new",
      partitions: 3,
      sourcePartition: 0,
      start: 5n,
      end: 50n,
    });
    assert.equal(copied.records, 45);
    assert.equal(
      copied.byTarget.reduce((a, b) => a + b, 0),
      45,
    );

    const ends = await source.bounds("new", 3);
    assert.deepEqual(
      ends.map((b) => Number(b.end)),
      copied.byTarget,
    );
    const seen: { partition: number; key: string; seq: number; headers: unknown; timestamp: string }[] = [];
    for (const partition of range(3))
      for await (const fetched of source.read("new", partition, 0n, ends[partition]!.end))
        for (const m of fetched)
          seen.push({
            partition,
            key: m.key!.toString(),
            seq: (JSON.parse(m.value!.toString()) as { seq: number }).seq,
            headers: { source: m.headers.source!.toString(), trace: [...(m.headers.trace as Buffer)] },
            timestamp: m.timestamp,
          });

    assert.deepEqual(
      seen.map((r) => r.seq).sort((a, b) => a - b),
      range(45).map((i) => i + 5),
    );
    for (const record of seen) {
      assert.equal(record.partition, targetPartition(Buffer.from(record.key), 0, 3), `seq ${record.seq}'s partition`);
      assert.deepEqual(record.headers, { source: `pos-${record.seq}`, trace: [record.seq, 255] });
      assert.equal(record.timestamp, String(1_700_000_000_000 + record.seq * 1000));
    }
    for (const user of range(8)) {
      const sequence = seen.filter((r) => r.key === `user-${user}`).map((r) => r.seq);
      assert.deepEqual(
        sequence,
        [...sequence].sort((a, b) => a - b),
        `user-${user} in order`,
      );
    }
  });

  it("when a keyless record is copied, then it goes to its source partition modulo the new count, timestamp kept", async () => {
    const before = await source.bounds("new", 3);
    const copied = await copyPartition(source, producer, {
      from: "old",
      to: "new",
      partitions: 3,
      sourcePartition: 0,
      start: 60n,
      end: 61n,
    });
    assert.deepEqual(copied.byTarget, [1, 0, 0]);
    const records = [];
    for await (const fetched of source.read("new", 0, before[0]!.end, before[0]!.end + 1n)) records.push(...fetched);
    assert.equal(records[0]!.key, null);
    assert.equal(records[0]!.value!.toString(), "keyless");
    assert.equal(records[0]!.timestamp, "1700000099000");
  });
});
