// The scaling lab's topics on a real broker: a topic with the asked-for partitions, every command
// in it once, each user's commands on a single partition in the order they were produced; and the
// record value carries what the order check needs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Kafka, logLevel } from "../../../../broker/client/index.ts";
import { decodeCommand, encodeCommand, fillTopic, scalingTopic } from "../../../../seed/lab/scaling/topics.ts";
import { generateWorkload } from "../../../../seed/load/workload.ts";
import { useBroker, withBrokerLog } from "../../../helpers/broker-process.ts";
import { waitFor } from "../../../helpers/wait.ts";

describe("scaling lab topics", () => {
  const broker = useBroker();

  it("when a command is encoded, then decoding gives back its user, seq and substance", () => {
    const [command] = generateWorkload({ users: 1, commands: 1, seed: 1 }).commands;
    assert.deepEqual(decodeCommand(Buffer.from(encodeCommand(command!))), {
      commandId: command!.commandId,
      userId: command!.userId,
      seq: 0,
      type: command!.type,
      amount: command!.amount,
    });
    assert.throws(() => decodeCommand(null), /without a value/);
  });

  it("when a topic is filled, then it has the partitions asked for, each command once, and each user's commands on one partition in seq order", () =>
    withBrokerLog(broker, async () => {
      const kafka = new Kafka({ clientId: "topics-test", brokers: [broker.address], logLevel: logLevel.NOTHING });
      const workload = generateWorkload({ users: 30, commands: 1_200, seed: 7 });
      const filled = await fillTopic(kafka, 4, workload.commands);
      assert.equal(filled.topic, scalingTopic(4));
      assert.equal(filled.topic, "scaling.p4");
      assert.equal(filled.records.length, 4);
      assert.equal(
        filled.records.reduce((a, b) => a + b, 0),
        1_200,
      );
      assert.ok(filled.records.filter((n) => n > 0).length >= 3, `users spread over partitions: ${filled.records}`);

      const consumer = kafka.consumer({ groupId: "" });
      consumer.assign([{ topic: filled.topic, partitions: [0, 1, 2, 3], fromBeginning: true }]);
      const seen: { partition: number; userId: string; seq: number }[] = [];
      await consumer.connect();
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const { userId, seq } = decodeCommand(message.value);
          assert.equal(message.key?.toString(), userId);
          seen.push({ partition, userId, seq });
        },
      });
      await waitFor(() => seen.length >= 1_200, { message: () => `${seen.length} of 1200 read back` });
      await consumer.disconnect();
      assert.equal(seen.length, 1_200);
      const partitionOf = new Map<string, number>();
      const lastSeq = new Map<string, number>();
      for (const { partition, userId, seq } of seen) {
        assert.equal(partitionOf.get(userId) ?? partition, partition, `${userId} on one partition`);
        partitionOf.set(userId, partition);
        assert.equal(seq, (lastSeq.get(userId) ?? -1) + 1, `${userId} in seq order`);
        lastSeq.set(userId, seq);
      }
      assert.equal(partitionOf.size, 30);
    }));
});
