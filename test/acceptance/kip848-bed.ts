// What the KIP-848 acceptance tests share: @platformatic/kafka (test/helpers/platformatic.ts), a
// broker process with a short consumer heartbeat interval and a keyed topic, a producer that numbers its records per key, the group as ConsumerGroupDescribe tells it,
// and the per-key order check.
//
// Ownership: a bed owns its broker process, admin, producer and describing connection, opened
// before the describe block's tests and closed after them — after the caller's own clean-up, so
// that members leave while the broker still runs.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import type { Admin, Producer } from "kafkajs";
import { Apis } from "../../broker/protocol/apis.ts";
import { type BrokerProcess, startBroker } from "../helpers/broker-process.ts";
import { platformatic } from "../helpers/platformatic.ts";
import { WireClient } from "../helpers/wire-client.ts";
import { kafkaClient } from "./helpers.ts";

export interface Received {
  key: string;
  seq: number;
  partition: number;
}

export interface Kip848BedOptions {
  clientId: string;
  topic: string;
  partitions: number;
  /** Distinct keys each produced batch cycles through. */
  keys: number;
  /** Runs before the bed closes its clients and broker (the test's members leave first). */
  cleanUpFirst(): Promise<void>;
}

export interface Kip848Bed {
  readonly address: string;
  readonly admin: Admin;
  /** Every record produced so far, in order; `seq` is its value. */
  readonly produced: { key: string; seq: number }[];
  /** The seq the next record gets. */
  readonly nextSeq: number;
  /** `perKey` records for each key, in one send. */
  produceBatch(perKey: number): Promise<void>;
  describeGroup(groupId: string): ReturnType<typeof describeOne>;
}

async function describeOne(describer: WireClient, groupId: string) {
  const response = await describer.request(Apis.ConsumerGroupDescribe, 0, {
    groupIds: [groupId],
    includeAuthorizedOperations: false,
  });
  return response.groups[0]!;
}

export function useKip848Bed(options: Kip848BedOptions): Kip848Bed {
  let broker: BrokerProcess | undefined;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let describer: WireClient | undefined;
  const produced: { key: string; seq: number }[] = [];
  let nextSeq = 0;

  before(async () => {
    broker = await startBroker({
      config: { "group.consumer.heartbeat.interval.ms": 300, "offsets.topic.num.partitions": 5 },
    });
    const kafka = kafkaClient(broker.address, options.clientId);
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: options.topic, numPartitions: options.partitions }] });
    producer = kafka.producer();
    await producer.connect();
    describer = await WireClient.connect(broker.address);
  });

  after(async () => {
    await options.cleanUpFirst();
    describer?.close();
    await producer?.disconnect().catch(() => {});
    await admin?.disconnect().catch(() => {});
    await broker?.cleanup();
  });

  return {
    get address() {
      return broker!.address;
    },
    get admin() {
      return admin!;
    },
    produced,
    get nextSeq() {
      return nextSeq;
    },
    async produceBatch(perKey) {
      const batch: { key: string; seq: number }[] = [];
      for (let round = 0; round < perKey; round += 1) {
        for (let key = 0; key < options.keys; key += 1) batch.push({ key: `key-${key}`, seq: nextSeq++ });
      }
      produced.push(...batch);
      await producer!.send({
        topic: options.topic,
        messages: batch.map(({ key, seq }) => ({ key, value: String(seq) })),
      });
    },
    describeGroup: (groupId) => describeOne(describer!, groupId),
  };
}

/** Fails unless each key's records from `since` on came in the order they were produced. */
export function assertPerKeyOrder(memberName: string, received: readonly Received[], since: number): void {
  const lastSeqByKey = new Map<string, number>();
  for (const { key, seq } of received.filter((record) => record.seq >= since)) {
    const last = lastSeqByKey.get(key);
    assert.ok(last === undefined || seq > last, `${memberName} got ${key} #${seq} after #${last}`);
    lastSeqByKey.set(key, seq);
  }
}

export { platformatic };
