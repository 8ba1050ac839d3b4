// Acceptance: a real third-party client speaks the KIP-848 consumer group protocol to our broker.
// @platformatic/kafka consumers with groupProtocol "consumer" share a group through
// ConsumerGroupHeartbeat: three members split a keyed topic and consume it completely and in
// per-key order; one leaves and its partitions move to the other two; a new member resumes from the
// group's committed offsets.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

// @platformatic/kafka targets Node 22+; on Node 20 it only lacks Promise.withResolvers.
const promiseWithResolvers = Promise as unknown as { withResolvers?: unknown };
promiseWithResolvers.withResolvers ??= <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
};

import type { Consumer as PlatformaticConsumer } from "@platformatic/kafka";
import type { Admin, Producer } from "kafkajs";
import { Apis } from "../../broker/protocol/apis.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import { type BrokerProcess, startBroker } from "../helpers/broker-process.ts";
import { waitFor } from "../helpers/wait.ts";
import { WireClient } from "../helpers/wire-client.ts";
import { kafkaClient } from "./helpers.ts";

const { Consumer, stringDeserializers } = await import("@platformatic/kafka");

const TOPIC = "points-by-key";
const PARTITIONS = 6;
const KEYS = 24;
const GROUP = "platformatic-kip848";

interface Received {
  key: string;
  seq: number;
  partition: number;
}

interface Member {
  name: string;
  consumer: PlatformaticConsumer<string, string, string, string>;
  received: Received[];
  /** Fetches the member's stream has completed. */
  fetches: number;
  close(): Promise<void>;
}

function ownedPartitions(member: Member): number[] {
  return (member.consumer.assignments ?? [])
    .filter((assignment) => assignment.topic === TOPIC)
    .flatMap((assignment) => assignment.partitions)
    .sort((a, b) => a - b);
}

/** Every partition owned by exactly one of `members`, `perMember` each. */
function splitsEvenly(members: readonly Member[], perMember: number): boolean {
  const owned = members.map(ownedPartitions);
  const all = owned.flat().sort((a, b) => a - b);
  return (
    owned.every((partitions) => partitions.length === perMember) &&
    all.length === PARTITIONS &&
    all.every((partition, index) => partition === index)
  );
}

describe("@platformatic/kafka on the KIP-848 consumer protocol", () => {
  let broker: BrokerProcess;
  let admin: Admin;
  let producer: Producer;
  let describer: WireClient;
  const members: Member[] = [];
  let nextSeq = 0;
  const produced: { key: string; seq: number }[] = [];

  before(async () => {
    broker = await startBroker({
      config: { "group.consumer.heartbeat.interval.ms": 300, "offsets.topic.num.partitions": 5 },
    });
    const kafka = kafkaClient(broker.address, "kip848-test");
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    producer = kafka.producer();
    await producer.connect();
    describer = await WireClient.connect(broker.address);
  });

  after(async () => {
    for (const member of members) await member.close().catch(() => {});
    describer?.close();
    await producer?.disconnect().catch(() => {});
    await admin?.disconnect().catch(() => {});
    await broker?.cleanup();
  });

  const produceBatch = async (perKey: number): Promise<void> => {
    const batch: { key: string; seq: number }[] = [];
    for (let round = 0; round < perKey; round += 1) {
      for (let key = 0; key < KEYS; key += 1) batch.push({ key: `key-${key}`, seq: nextSeq++ });
    }
    produced.push(...batch);
    await producer.send({
      topic: TOPIC,
      messages: batch.map(({ key, seq }) => ({ key, value: String(seq) })),
    });
  };

  const startMember = async (name: string): Promise<Member> => {
    const consumer = new Consumer({
      groupId: GROUP,
      clientId: name,
      bootstrapBrokers: [broker.address],
      groupProtocol: "consumer",
      deserializers: stringDeserializers,
      maxWaitTime: 200,
      autocommit: 100,
      retries: 20,
      retryDelay: 200,
    });
    const received: Received[] = [];
    const stream = await consumer.consume({ topics: [TOPIC], mode: "committed", fallbackMode: "earliest" });
    stream.on("data", (message) => {
      received.push({ key: String(message.key), seq: Number(message.value), partition: message.partition });
    });
    stream.on("error", () => {});
    stream.on("fetch", () => {
      member.fetches += 1;
    });
    const member: Member = {
      name,
      consumer,
      received,
      fetches: 0,
      close: async () => {
        members.splice(members.indexOf(member), 1);
        await stream.close();
        await consumer.close();
      },
    };
    members.push(member);
    return member;
  };

  const describeGroup = async () => {
    const response = await describer.request(Apis.ConsumerGroupDescribe, 0, {
      groupIds: [GROUP],
      includeAuthorizedOperations: false,
    });
    return response.groups[0]!;
  };

  const assertPerKeyOrder = (member: Member, since: number): void => {
    const lastSeqByKey = new Map<string, number>();
    for (const { key, seq } of member.received.filter((record) => record.seq >= since)) {
      const last = lastSeqByKey.get(key);
      assert.ok(last === undefined || seq > last, `${member.name} got ${key} #${seq} after #${last}`);
      lastSeqByKey.set(key, seq);
    }
  };

  const receivedSeqs = (since: number): number[] =>
    members
      .flatMap((member) => member.received)
      .map((record) => record.seq)
      .filter((seq) => seq >= since)
      .sort((a, b) => a - b);

  it("when three members join, then they split the partitions and consume every record once, in per-key order", async () => {
    const [first, second, third] = [
      await startMember("first"),
      await startMember("second"),
      await startMember("third"),
    ];
    await waitFor(() => splitsEvenly([first!, second!, third!], PARTITIONS / 3), {
      message: () => `even split, got ${members.map((m) => `${m.name}=${ownedPartitions(m)}`).join(" ")}`,
    });
    await waitFor(async () => (await describeGroup()).groupState === "Stable", { message: "a Stable group" });
    const group = await describeGroup();
    assert.equal(group.errorCode, ErrorCode.NONE);
    assert.equal(group.assignorName, "uniform");
    assert.equal(group.members.length, 3);
    assert.ok(group.members.every((member) => member.memberEpoch === group.groupEpoch));
    // The client does not drop what a fetch sent before a revocation brings back (nor could the
    // broker tell), so the records are produced once every member has fetched since the split.
    const fetchesAtSplit = members.map((member) => member.fetches);
    await waitFor(() => members.every((member, index) => member.fetches > fetchesAtSplit[index]!), {
      message: "a fetch by every member since the split",
    });

    await produceBatch(20);
    const expected = produced.map(({ seq }) => seq);
    await waitFor(() => receivedSeqs(0).length >= expected.length, {
      message: () => `all ${expected.length} records, got ${receivedSeqs(0).length}`,
    });
    assert.deepEqual(receivedSeqs(0), expected);
    for (const member of members) {
      assertPerKeyOrder(member, 0);
      // Each member read only the partitions it owns.
      const partitions = new Set(member.received.map((record) => record.partition));
      assert.deepEqual([...partitions].sort(), ownedPartitions(member));
    }
  });

  it("when a member leaves, then its partitions move to the others, which consume what follows in per-key order", async () => {
    const leaving = members.find((member) => member.name === "second")!;
    const leavingPartitions = ownedPartitions(leaving);
    await leaving.close();
    const [first, third] = members;
    await waitFor(() => splitsEvenly([first!, third!], PARTITIONS / 2), {
      message: () => `the two left share every partition, got ${members.map((m) => `${m.name}=${ownedPartitions(m)}`)}`,
    });
    assert.ok(
      leavingPartitions.every(
        (partition) => ownedPartitions(first!).includes(partition) || ownedPartitions(third!).includes(partition),
      ),
    );
    await waitFor(async () => (await describeGroup()).members.length === 2, { message: "two members described" });

    const since = nextSeq;
    await produceBatch(10);
    const expected = produced.filter(({ seq }) => seq >= since).map(({ seq }) => seq);
    await waitFor(() => receivedSeqs(since).length >= expected.length, {
      message: () => `the second batch of ${expected.length}, got ${receivedSeqs(since).length}`,
    });
    assert.deepEqual(receivedSeqs(since), expected);
    for (const member of members) assertPerKeyOrder(member, since);
  });

  it("when every member has left, then a new member resumes from the committed offsets", async () => {
    // The group has committed everything delivered so far once its offsets reach the log ends.
    await waitFor(
      async () => {
        const offsets = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
        const committed = offsets[0]!.partitions.reduce((sum, partition) => sum + Number(partition.offset), 0);
        return committed === produced.length;
      },
      { message: "every delivered record committed" },
    );
    for (const member of [...members]) await member.close();
    await waitFor(async () => (await describeGroup()).groupState === "Empty", { message: "an Empty group" });

    const since = nextSeq;
    await produceBatch(5);
    const newcomer = await startMember("newcomer");
    const expected = produced.filter(({ seq }) => seq >= since).map(({ seq }) => seq);
    await waitFor(() => newcomer.received.length >= expected.length, {
      message: () => `the third batch of ${expected.length}, got ${newcomer.received.length}`,
    });
    // Nothing before the committed offsets comes again.
    assert.deepEqual(
      newcomer.received.map((record) => record.seq).sort((a, b) => a - b),
      expected,
    );
    assertPerKeyOrder(newcomer, since);
    assert.deepEqual(ownedPartitions(newcomer), [0, 1, 2, 3, 4, 5]);
  });
});
