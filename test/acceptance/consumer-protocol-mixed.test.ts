// Acceptance: our client's KIP-848 members (groupProtocol "consumer") and @platformatic/kafka's
// share ONE consumer group on a real broker. Together they consume a keyed topic completely — each
// record once overall, each key's records in order; when one of ours leaves, its partitions move to
// the others, which go on; a new member of ours resumes from the group's committed offsets. Our
// members are never handed a record of a partition they do not own (checked at each delivery
// against their PARTITIONS_ASSIGNED / PARTITIONS_REVOKED events).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Consumer as PlatformaticConsumer } from "@platformatic/kafka";
import {
  type Consumer,
  type ConsumerPartitionsChangedEvent,
  logLevel,
  Kafka as OurKafka,
} from "../../broker/client/index.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import { waitFor } from "../helpers/wait.ts";
import { assertPerKeyOrder, platformatic, type Received, useKip848Bed } from "./kip848-bed.ts";

const { Consumer: PlatformaticKafkaConsumer, stringDeserializers } = platformatic;

const TOPIC = "points-mixed";
const PARTITIONS = 8;
const KEYS = 24;
const GROUP = "mixed-kip848";

interface Member {
  name: string;
  kind: "ours" | "platformatic";
  received: Received[];
  /** Fetches completed (ours: FETCH events; platformatic: its stream's "fetch" events). */
  fetches: number;
  owned(): number[];
  /** Ours only: PARTITIONS_ASSIGNED / PARTITIONS_REVOKED, in order. */
  changes: { kind: "assigned" | "revoked"; reason: string; protocol: string; partitions: number[] }[];
  close(): Promise<void>;
}

describe("our client and @platformatic/kafka in one KIP-848 consumer group", () => {
  const members: Member[] = [];
  /** Deliveries to our members of a partition they did not own at the time. */
  const strayDeliveries: string[] = [];
  const bed = useKip848Bed({
    clientId: "mixed-kip848-test",
    topic: TOPIC,
    partitions: PARTITIONS,
    keys: KEYS,
    cleanUpFirst: async () => {
      for (const member of [...members]) await member.close().catch(() => {});
    },
  });
  const { produced } = bed;

  const startOurs = async (name: string): Promise<Member> => {
    const kafka = new OurKafka({
      clientId: name,
      brokers: [bed.address],
      logLevel: logLevel.NOTHING,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    const consumer: Consumer = kafka.consumer({
      groupId: GROUP,
      groupProtocol: "consumer",
      rebalanceTimeout: 10_000,
      maxWaitTimeInMs: 200,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000, restartOnFailure: async () => false },
    });
    const owned = new Set<number>();
    const received: Received[] = [];
    const member: Member = {
      name,
      kind: "ours",
      received,
      fetches: 0,
      changes: [],
      owned: () => [...owned].sort((a, b) => a - b),
      close: async () => {
        members.splice(members.indexOf(member), 1);
        await consumer.disconnect();
      },
    };
    const partitionsOf = (event: ConsumerPartitionsChangedEvent): number[] =>
      event.payload.partitions.filter(({ topic }) => topic === TOPIC).flatMap(({ partitions }) => partitions);
    const record = (kind: "assigned" | "revoked", event: ConsumerPartitionsChangedEvent): void => {
      const { reason, rebalanceProtocol } = event.payload;
      member.changes.push({ kind, reason, protocol: rebalanceProtocol, partitions: partitionsOf(event) });
    };
    consumer.on(consumer.events.PARTITIONS_ASSIGNED, (event: ConsumerPartitionsChangedEvent) => {
      for (const partition of partitionsOf(event)) owned.add(partition);
      record("assigned", event);
    });
    consumer.on(consumer.events.PARTITIONS_REVOKED, (event: ConsumerPartitionsChangedEvent) => {
      for (const partition of partitionsOf(event)) owned.delete(partition);
      record("revoked", event);
    });
    consumer.on(consumer.events.FETCH, () => {
      member.fetches += 1;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (!owned.has(partition)) strayDeliveries.push(`${name} got partition ${partition} it does not own`);
        received.push({ key: String(message.key), seq: Number(String(message.value)), partition });
      },
    });
    members.push(member);
    return member;
  };

  const startPlatformatic = async (name: string): Promise<Member> => {
    const consumer: PlatformaticConsumer<string, string, string, string> = new PlatformaticKafkaConsumer({
      groupId: GROUP,
      clientId: name,
      bootstrapBrokers: [bed.address],
      groupProtocol: "consumer",
      deserializers: stringDeserializers,
      maxWaitTime: 200,
      autocommit: 100,
      retries: 20,
      retryDelay: 200,
    });
    const received: Received[] = [];
    const stream = await consumer.consume({ topics: [TOPIC], mode: "committed", fallbackMode: "earliest" });
    const member: Member = {
      name,
      kind: "platformatic",
      received,
      fetches: 0,
      changes: [],
      owned: () =>
        (consumer.assignments ?? [])
          .filter((assignment) => assignment.topic === TOPIC)
          .flatMap((assignment) => assignment.partitions)
          .sort((a, b) => a - b),
      close: async () => {
        members.splice(members.indexOf(member), 1);
        await stream.close();
        await consumer.close();
      },
    };
    stream.on("data", (message) => {
      received.push({ key: String(message.key), seq: Number(message.value), partition: message.partition });
    });
    stream.on("error", () => {});
    stream.on("fetch", () => {
      member.fetches += 1;
    });
    members.push(member);
    return member;
  };

  const describeGroup = () => bed.describeGroup(GROUP);

  const ownership = (): string => members.map((m) => `${m.name}=[${m.owned()}]`).join(" ");

  /** Every partition owned by exactly one member, each member owning between `least` and `most`. */
  const splitAmongMembers = (least: number, most: number): boolean => {
    const owned = members.map((member) => member.owned());
    const all = owned.flat().sort((a, b) => a - b);
    return (
      owned.every((partitions) => partitions.length >= least && partitions.length <= most) &&
      all.length === PARTITIONS &&
      all.every((partition, index) => partition === index)
    );
  };

  /** The group is settled (Stable, every member at the group epoch, as many as we run) and everyone has fetched since. */
  const settle = async (): Promise<void> => {
    let state = "";
    await waitFor(
      async () => {
        const group = await describeGroup();
        state = `${group.groupState} at epoch ${group.groupEpoch}, members at ${group.members.map((m) => m.memberEpoch)}`;
        return (
          group.groupState === "Stable" &&
          group.members.length === members.length &&
          group.members.every((member) => member.memberEpoch === group.groupEpoch)
        );
      },
      { message: () => `a Stable group, got ${state}; ${ownership()}`, timeoutMs: 30_000 },
    );
    // Records are produced only once every member has fetched since the split: a fetch sent before a
    // revocation may still bring back records of a partition that moved (platformatic does not drop them).
    const fetchesAtSplit = members.map((member) => member.fetches);
    await waitFor(() => members.every((member, index) => member.fetches > fetchesAtSplit[index]!), {
      message: "a fetch by every member since the split",
    });
  };

  const receivedSeqs = (since: number): number[] =>
    members
      .flatMap((member) => member.received)
      .map((record) => record.seq)
      .filter((seq) => seq >= since)
      .sort((a, b) => a - b);

  it("when two of our members and two of platformatic's join, then they split the partitions and consume every record once, in per-key order", async () => {
    await startOurs("ours-1");
    await startPlatformatic("platformatic-1");
    await startOurs("ours-2");
    await startPlatformatic("platformatic-2");
    await waitFor(() => splitAmongMembers(PARTITIONS / 4, PARTITIONS / 4), {
      message: () => `an even split, got ${ownership()}`,
      timeoutMs: 30_000,
    });
    await settle();
    const group = await describeGroup();
    assert.equal(group.errorCode, ErrorCode.NONE);
    assert.equal(group.members.length, 4);
    // The first member gave up only what moved, in steps, and never what it kept.
    const first = members.find((member) => member.name === "ours-1")!;
    const revoked = first.changes.filter((change) => change.kind === "revoked");
    assert.ok(revoked.length > 0, "ours-1 had partitions revoked as the others joined");
    assert.ok(
      first.changes.every((change) => change.protocol === "COOPERATIVE" && change.reason !== "lost"),
      JSON.stringify(first.changes),
    );
    assert.ok(
      first.owned().every((partition) => !revoked.some((change) => change.partitions.includes(partition))),
      `ours-1 keeps ${first.owned()} and never lost them: ${JSON.stringify(first.changes)}`,
    );

    await bed.produceBatch(20);
    const expected = produced.map(({ seq }) => seq);
    await waitFor(() => receivedSeqs(0).length >= expected.length, {
      message: () => `all ${expected.length} records, got ${receivedSeqs(0).length}`,
    });
    assert.deepEqual(receivedSeqs(0), expected);
    for (const member of members) {
      assertPerKeyOrder(member.name, member.received, 0);
      // Each member read only partitions it owns (a partition no key hashes to brings nothing).
      const partitions = [...new Set(member.received.map((record) => record.partition))];
      assert.ok(
        partitions.every((partition) => member.owned().includes(partition)),
        `${member.name} read ${partitions} but owns ${member.owned()}`,
      );
    }
    assert.deepEqual(strayDeliveries, []);
  });

  it("when one of our members leaves, then its partitions move to the others, which consume what follows once and in per-key order", async () => {
    const leaving = members.find((member) => member.name === "ours-1")!;
    const leavingPartitions = leaving.owned();
    assert.equal(leavingPartitions.length, PARTITIONS / 4);
    await leaving.close();
    assert.deepEqual(leaving.changes.at(-1), {
      kind: "revoked",
      reason: "stop",
      protocol: "COOPERATIVE",
      partitions: leavingPartitions,
    });
    await waitFor(() => splitAmongMembers(2, 3), {
      message: () => `the three left share every partition, got ${ownership()}`,
      timeoutMs: 30_000,
    });
    await settle();
    assert.equal((await describeGroup()).members.length, 3);

    const since = bed.nextSeq;
    await bed.produceBatch(10);
    const expected = produced.filter(({ seq }) => seq >= since).map(({ seq }) => seq);
    await waitFor(() => receivedSeqs(since).length >= expected.length, {
      message: () => `the second batch of ${expected.length}, got ${receivedSeqs(since).length}`,
    });
    assert.deepEqual(receivedSeqs(since), expected);
    for (const member of members) assertPerKeyOrder(member.name, member.received, since);
    // The partitions that moved were consumed by their new owners.
    const movedTo = members.filter((member) => member.owned().some((p) => leavingPartitions.includes(p)));
    assert.ok(movedTo.length > 0);
    assert.deepEqual(strayDeliveries, []);
  });

  it("when every member has left, then a new member of ours resumes from the committed offsets", async () => {
    await waitFor(
      async () => {
        const offsets = await bed.admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
        // A partition no key hashes to has nothing committed (-1).
        const committed = offsets[0]!.partitions.reduce(
          (sum, partition) => sum + Math.max(0, Number(partition.offset)),
          0,
        );
        return committed === produced.length;
      },
      { message: "every delivered record committed", timeoutMs: 30_000 },
    );
    for (const member of [...members]) await member.close();
    await waitFor(async () => (await describeGroup()).groupState === "Empty", { message: "an Empty group" });

    const since = bed.nextSeq;
    await bed.produceBatch(5);
    const newcomer = await startOurs("ours-newcomer");
    const expected = produced.filter(({ seq }) => seq >= since).map(({ seq }) => seq);
    await waitFor(() => newcomer.received.length >= expected.length, {
      message: () => `the third batch of ${expected.length}, got ${newcomer.received.length}`,
      timeoutMs: 30_000,
    });
    // Nothing before the committed offsets comes again.
    assert.deepEqual(
      newcomer.received.map((record) => record.seq).sort((a, b) => a - b),
      expected,
    );
    assertPerKeyOrder(newcomer.name, newcomer.received, since);
    assert.deepEqual(newcomer.owned(), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(strayDeliveries, []);
  });
});
