// Consume throughput of one client on a running broker: reads an already-filled topic from the
// beginning with eachBatch, in a fresh group, until `records` records have arrived. The clock
// starts when the consumer has joined its group (GROUP_JOIN), so group settings such as the
// initial rebalance delay do not count; the time from run() and to the first record are reported
// too. A warm-up read of the topic's first `warmUpRecords` (its own group) comes first.
import {
  type BenchConsumerConfig,
  type ClientName,
  type CpuPerRecord,
  type CpuSample,
  cpuPerRecord,
  cpuSample,
  createConsumer,
  createProducer,
  createTopic,
  type Rate,
  rate,
  round,
  sendLoop,
  topicRecords,
  uniqueGroupId,
  withTimeout,
} from "./lib.ts";

export interface ConsumeBenchOptions {
  address: string;
  client: ClientName;
  topic: string;
  /** How many records to read; the topic must hold at least that many. */
  records: number;
  /** Records read by a throwaway consumer before the timed one; 0 for none. */
  warmUpRecords?: number;
  /** Consumer settings other than the group id (both clients' defaults otherwise). */
  consumerConfig?: Omit<BenchConsumerConfig, "groupId">;
  timeoutMs?: number;
  /** The broker's pid, to report its CPU per record too. */
  brokerPid?: number;
}

export interface ConsumeBenchResult extends Rate {
  records: number;
  /** From consumer.run() to the last record, so including the group join. */
  fromRun: Rate;
  secondsToFirstRecord: number;
  /** CPU per record from the group join to the last record: this process (the client) and the broker. */
  cpu: CpuPerRecord;
}

interface ConsumeRun {
  received: number;
  bytes: number;
  runAt: number;
  joinedAt: number;
  firstAt: number;
  endAt: number;
  cpuAtJoin: CpuSample | undefined;
  cpuAtEnd: CpuSample | undefined;
}

async function consumeOnce(options: ConsumeBenchOptions, records: number): Promise<ConsumeRun> {
  const { address, client, topic, consumerConfig, timeoutMs = 300_000 } = options;
  const consumer = createConsumer(client, address, {
    ...consumerConfig,
    groupId: uniqueGroupId(`bench-consume-${client}`),
  });
  const run: ConsumeRun = {
    received: 0,
    bytes: 0,
    runAt: 0,
    joinedAt: 0,
    firstAt: 0,
    endAt: 0,
    cpuAtJoin: undefined,
    cpuAtEnd: undefined,
  };
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  consumer.on("consumer.group_join", () => {
    if (run.joinedAt) return;
    run.cpuAtJoin = cpuSample(options.brokerPid);
    run.joinedAt = performance.now();
  });
  consumer.on("consumer.crash", (event) => fail(event.payload.error));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    run.runAt = performance.now();
    await consumer.run({
      eachBatch: async ({ batch }) => {
        if (run.endAt) return;
        run.firstAt ||= performance.now();
        for (const message of batch.messages) run.bytes += (message.key?.length ?? 0) + (message.value?.length ?? 0);
        run.received += batch.messages.length;
        if (run.received >= records) {
          run.endAt = performance.now();
          run.cpuAtEnd = cpuSample(options.brokerPid);
          finish();
        }
      },
    });
    await withTimeout(
      done,
      timeoutMs,
      () => `benchConsume(${client}): only ${run.received} of ${records} records after ${timeoutMs} ms`,
    );
    return run;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

export async function benchConsume(options: ConsumeBenchOptions): Promise<ConsumeBenchResult> {
  const { records, warmUpRecords = 0 } = options;
  if (warmUpRecords > 0) await consumeOnce(options, Math.min(warmUpRecords, records));
  const run = await consumeOnce(options, records);
  const seconds = (from: number, to: number): number => (to - from) / 1000;
  return {
    ...rate(run.received, run.bytes, seconds(run.joinedAt, run.endAt)),
    records: run.received,
    fromRun: rate(run.received, run.bytes, seconds(run.runAt, run.endAt)),
    secondsToFirstRecord: round(seconds(run.runAt, run.firstAt), 3),
    cpu: cpuPerRecord(run.cpuAtJoin!, run.cpuAtEnd!, run.received),
  };
}

/**
 * Fills a new topic with `records` keyless records of `recordBytes` bytes through kafkajs: sends
 * of 1,000 messages, each to one partition in turn (so every record batch holds 1,000 records
 * whatever the partition count), 8 sends in flight; checks the count stored.
 */
export async function fillTopic(
  address: string,
  topic: string,
  partitions: number,
  records: number,
  recordBytes = 100,
): Promise<void> {
  await createTopic(address, topic, partitions);
  const producer = createProducer("kafkajs", address, "bench-fill");
  await producer.connect();
  try {
    await sendLoop(producer, {
      topic,
      batchSize: 1000,
      recordBytes,
      inFlight: 8,
      acks: -1,
      records,
      partitionPerSend: partitions,
    });
  } finally {
    await producer.disconnect();
  }
  const stored = await topicRecords(address, topic);
  if (stored !== records) throw new Error(`fillTopic: ${topic} holds ${stored} records, ${records} were sent`);
}
