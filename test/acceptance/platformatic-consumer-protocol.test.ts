// Acceptance: a real third-party client speaks the KIP-848 consumer group protocol to our broker.
// @platformatic/kafka consumers with groupProtocol "consumer" share a group through
// ConsumerGroupHeartbeat: three members split a keyed topic and consume it completely and in
// per-key order; one leaves and its partitions move to the other two; a new member resumes from the
// group's committed offsets.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Consumer as PlatformaticConsumer } from "@platformatic/kafka";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import { waitFor } from "../helpers/wait.ts";
import { assertPerKeyOrder, platformatic, type Received, useKip848Bed } from "./kip848-bed.ts";

const { Consumer, stringDeserializers } = platformatic;

const TOPIC = "points-by-key";
const PARTITIONS = 6;
const KEYS = 24;
const GROUP = "platformatic-kip848";

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
  const members: Member[] = [];
  const bed = useKip848Bed({
    clientId: "kip848-test",
    topic: TOPIC,
    partitions: PARTITIONS,
    keys: KEYS,
    cleanUpFirst: async () => {
      for (const member of [...members]) await member.close().catch(() => {});
    },
  });
  const { produced } = bed;

  const startMember = async (name: string): Promise<Member> => {
    const consumer = new Consumer({
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

  const describeGroup = () => bed.describeGroup(GROUP);

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

    await bed.produceBatch(20);
    const expected = produced.map(({ seq }) => seq);
    await waitFor(() => receivedSeqs(0).length >= expected.length, {
      message: () => `all ${expected.length} records, got ${receivedSeqs(0).length}`,
    });
    assert.deepEqual(receivedSeqs(0), expected);
    for (const member of members) {
      assertPerKeyOrder(member.name, member.received, 0);
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
    await waitFor(
      async () => {
        const group = await describeGroup();
        return (
          group.members.length === 2 &&
          group.groupState === "Stable" &&
          group.members.every((member) => member.memberEpoch === group.groupEpoch)
        );
      },
      { message: "two members described, Stable, each at the group's epoch" },
    );
    // As after the split: a fetch sent before the last move may still bring back records of a
    // partition the member no longer owns, so the records are produced once each has fetched since.
    const remaining = [first!, third!];
    const fetchesAtMove = remaining.map((member) => member.fetches);
    await waitFor(() => remaining.every((member, index) => member.fetches > fetchesAtMove[index]!), {
      message: "a fetch by each remaining member since the move",
    });

    const since = bed.nextSeq;
    await bed.produceBatch(10);
    const expected = produced.filter(({ seq }) => seq >= since).map(({ seq }) => seq);
    await waitFor(() => receivedSeqs(since).length >= expected.length, {
      message: () => `the second batch of ${expected.length}, got ${receivedSeqs(since).length}`,
    });
    assert.deepEqual(receivedSeqs(since), expected);
    for (const member of members) assertPerKeyOrder(member.name, member.received, since);
  });

  it("when every member has left, then a new member resumes from the committed offsets", async () => {
    // The group has committed everything delivered so far once its offsets reach the log ends.
    await waitFor(
      async () => {
        const offsets = await bed.admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
        const committed = offsets[0]!.partitions.reduce((sum, partition) => sum + Number(partition.offset), 0);
        return committed === produced.length;
      },
      { message: "every delivered record committed" },
    );
    for (const member of [...members]) await member.close();
    await waitFor(async () => (await describeGroup()).groupState === "Empty", { message: "an Empty group" });

    const since = bed.nextSeq;
    await bed.produceBatch(5);
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
    assertPerKeyOrder(newcomer.name, newcomer.received, since);
    assert.deepEqual(ownedPartitions(newcomer), [0, 1, 2, 3, 4, 5]);
  });
});
