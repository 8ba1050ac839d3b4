// Reading a topic back through our client without a group: readToEnd stops at the high watermarks
// it found when it began (records produced later are left out), and the live reader sees records
// as they arrive, each with its partition and offset.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LiveReader, readToEnd } from "../../../seed/fault/read-back.ts";
import { kafkaClient } from "../../acceptance/helpers.ts";
import { useBroker } from "../../helpers/broker-process.ts";
import { disconnectQuietly, waitFor } from "../../helpers/wait.ts";

describe("read-back", () => {
  const broker = useBroker();

  const topicWith = async (topic: string, values: string[][]) => {
    const kafka = kafkaClient(broker.address, "read-back");
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: values.length }], waitForLeaders: true });
    await disconnectQuietly(admin);
    const producer = kafka.producer();
    await producer.connect();
    const send = (partition: number, value: string) =>
      producer.send({ topic, acks: -1, messages: [{ value, partition }] });
    for (const [partition, list] of values.entries()) for (const value of list) await send(partition, value);
    return { send, close: () => disconnectQuietly(producer) };
  };

  it("when a topic is read to its end, then every record below the high watermarks comes back with its position", async () => {
    const topic = "read-to-end";
    const producer = await topicWith(topic, [["a0", "a1"], [], ["c0"]]);
    const read = await readToEnd([broker.address], topic, { source: "check" });
    await producer.close();
    assert.deepEqual(read.map((o) => [o.source, o.partition, o.offset, o.value]).sort(), [
      ["check", 0, 0n, "a0"],
      ["check", 0, 1n, "a1"],
      ["check", 2, 0n, "c0"],
    ]);
  });

  it("when records arrive while the live reader runs, then it sees them", async () => {
    const topic = "read-live";
    const producer = await topicWith(topic, [["before"], []]);
    const live = new LiveReader([broker.address], topic, 2);
    await live.start();
    await producer.send(1, "during");
    await waitFor(() => live.count === 2, { message: () => `2 records read live, ${live.count} so far` });
    const seen = await live.stop();
    await producer.close();
    assert.deepEqual(seen.map((o) => [o.source, o.partition, o.offset, o.value]).sort(), [
      ["live", 0, 0n, "before"],
      ["live", 1, 0n, "during"],
    ]);
  });
});
