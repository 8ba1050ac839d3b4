// Produce throughput of one client on a running broker: keyless records to a new topic, sends of
// `batchSize` messages, `inFlight` sends outstanding at a time (each loop sends again as soon as
// its last send resolves), acks -1 by default. The topic is created (by kafkajs's admin) first; a
// warm-up of `warmUpMs` on the same producer and topic runs before the clock starts, and the
// broker's count of stored records is checked against what was sent afterwards.
import {
  type ClientName,
  type CpuPerRecord,
  cpuPerRecord,
  cpuSample,
  createProducer,
  createTopic,
  type Rate,
  rate,
  secondsSince,
  sendLoop,
  topicRecords,
} from "./lib.ts";

export interface BenchProduceOptions {
  /** "host:port" of a running broker. */
  address: string;
  client: ClientName;
  partitions: number;
  /** Messages per send() call. */
  batchSize: number;
  /** Records in the timed run (at least; see `minSeconds`). */
  records: number;
  /** Sends outstanding at a time; 8 by default. */
  inFlight?: number;
  recordBytes?: number;
  acks?: number;
  /** 500 by default. */
  warmUpMs?: number;
  /** Raise `records` so the timed run lasts about this long at the warm-up's rate (×1.5 for headroom). */
  minSeconds?: number;
  /** The broker's pid, to report its CPU per record too. */
  brokerPid?: number;
}

export interface BenchProduceResult extends Rate {
  records: number;
  warmUp: { records: number; recordsPerSec: number };
  /** CPU per record over the timed run: this process (the client) and the broker. */
  cpu: CpuPerRecord;
}

export async function benchProduce(options: BenchProduceOptions): Promise<BenchProduceResult> {
  const {
    address,
    client,
    partitions,
    batchSize,
    inFlight = 8,
    recordBytes = 100,
    acks = -1,
    warmUpMs = 500,
    minSeconds = 0,
  } = options;
  const topic = `bench-produce-${client}-${partitions}p-${batchSize}b-${Date.now()}`;
  await createTopic(address, topic, partitions);
  const loop = { topic, batchSize, recordBytes, inFlight, acks };

  const producer = createProducer(client, address);
  await producer.connect();
  try {
    const warmUpStart = performance.now();
    const warmedUp = await sendLoop(producer, { ...loop, forMs: warmUpMs });
    const warmUpRate = warmedUp / secondsSince(warmUpStart);
    const wanted = Math.max(options.records, warmUpRate * minSeconds * 1.5);
    const records = Math.ceil(wanted / (batchSize * inFlight)) * batchSize * inFlight;

    const cpuBefore = cpuSample(options.brokerPid);
    const start = performance.now();
    const sent = await sendLoop(producer, { ...loop, records });
    const seconds = secondsSince(start);
    const cpu = cpuPerRecord(cpuBefore, cpuSample(options.brokerPid), sent);

    const stored = await topicRecords(address, topic);
    if (stored !== warmedUp + sent)
      throw new Error(`benchProduce(${client}): the topic holds ${stored} records, ${warmedUp + sent} were sent`);
    return {
      ...rate(sent, sent * recordBytes, seconds),
      records: sent,
      warmUp: { records: warmedUp, recordsPerSec: Math.round(warmUpRate) },
      cpu,
    };
  } finally {
    await producer.disconnect();
  }
}
