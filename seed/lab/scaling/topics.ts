// The scaling lab's topics: one per partition count (`scaling.p<N>`), filled up front with the
// seeded points workload keyed by userId, so that every run of a group starts on the same records
// and the measuring window never waits for a producer. The default partitioner (murmur2 of the key)
// puts each user's commands on one partition, in the order they were sent: chunks are sent one
// after another, never two at once, so a retry cannot overtake.
//
// Owner of mutable state: none (the caller's Kafka client does the I/O).
import type { Kafka } from "../../../broker/client/index.ts";
import type { IssuedCommand } from "../../load/workload.ts";

export const scalingTopic = (partitions: number) => `scaling.p${partitions}`;

/** What a record's value carries: enough for the order check, and the command's substance. */
export interface ScalingCommandValue {
  commandId: string;
  userId: string;
  seq: number;
  type: string;
  amount: number;
}

export function encodeCommand(command: IssuedCommand): string {
  const value: ScalingCommandValue = {
    commandId: command.commandId,
    userId: command.userId,
    seq: command.seq,
    type: command.type,
    amount: command.amount,
  };
  return JSON.stringify(value);
}

export function decodeCommand(value: Buffer | null): ScalingCommandValue {
  if (value === null) throw new Error("a scaling-lab record without a value");
  return JSON.parse(value.toString("utf8")) as ScalingCommandValue;
}

export interface FilledTopic {
  topic: string;
  partitions: number;
  /** Records per partition (its end offset: the topic is new). */
  records: number[];
}

const CHUNK = 500;

/** Creates the topic with `partitions` partitions and produces `commands` to it, keyed by userId. */
export async function fillTopic(kafka: Kafka, partitions: number, commands: IssuedCommand[]): Promise<FilledTopic> {
  const topic = scalingTopic(partitions);
  const admin = kafka.admin();
  const producer = kafka.producer();
  await admin.connect();
  await producer.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    for (let from = 0; from < commands.length; from += CHUNK)
      await producer.send({
        topic,
        acks: -1,
        messages: commands.slice(from, from + CHUNK).map((c) => ({ key: c.userId, value: encodeCommand(c) })),
      });
    const offsets = await admin.fetchTopicOffsets(topic);
    const records = new Array<number>(partitions).fill(0);
    for (const o of offsets) records[o.partition] = Number(o.high);
    return { topic, partitions, records };
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
}
