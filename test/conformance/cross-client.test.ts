// Conformance across clients: what our client produces, kafkajs and kcat read; what kafkajs and
// kcat produce, our client reads — plain and gzip batches alike; and a group mixing a kafkajs
// member with one of ours splits the partitions whichever of them leads.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Admin, CompressionTypes, type Consumer, type Kafka } from "kafkajs";
import { type AssignmentTracker, splitsExactly, trackAssignment } from "../helpers/group-assignment.ts";
import { runKcat } from "../helpers/kcat.ts";
import { KCAT, needs } from "../helpers/system-tools.ts";
import { range } from "../helpers/wait.ts";
import {
  type ClientKind,
  ClientPool,
  collectFromBeginning,
  connectedAdmin,
  connectedProducer,
  kafkaFor,
  quickConsumerConfig,
  quickGroupBrokerConfig,
  type Received,
  storedBatchCodecs,
  topicName,
  useBroker,
  waitFor,
  withBrokerLog,
} from "./helpers.ts";

/** kcat as this suite runs it: killed after 20 s. */
const KCAT_RUN = { timeoutMs: 20_000 } as const;

const GZIP_CODEC = 1;

/** What must survive whichever client wrote and read it; offsets and timestamps aside. */
const essence = (m: {
  partition: number;
  key: string | null;
  value: string | null;
  headers: Record<string, unknown>;
}): string => JSON.stringify([m.partition, m.key, m.value, Object.entries(m.headers).sort()]);

const sorted = (list: string[]): string[] => [...list].sort();

describe("conformance: across clients", () => {
  const broker = useBroker({ config: quickGroupBrokerConfig });
  const pool = new ClientPool();
  const kafkas = {} as Record<ClientKind, Kafka>;
  let admin: Admin;

  before(async () => {
    for (const kind of ["kafkajs", "ours"] as const)
      kafkas[kind] = await kafkaFor(kind, broker.address, `conformance-cross-${kind}`);
    admin = await connectedAdmin(kafkas.kafkajs, pool);
  });

  after(() => pool.closeAll());

  const createTopic = async (scenario: string, numPartitions: number): Promise<string> => {
    const topic = topicName("cross", scenario);
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true }), true);
    return topic;
  };

  /** Produces 20 plain and 20 gzip keyed messages with headers through `kind`'s producer. */
  const produceWith = async (kind: ClientKind, topic: string): Promise<void> => {
    const producer = await connectedProducer(kafkas[kind], pool);
    const messages = (codec: string) =>
      range(20).map((i) => ({
        key: `key-${i % 5}`,
        value: `${codec}-${i}`,
        headers: { source: kind, index: String(i) },
      }));
    await producer.send({ topic, messages: messages("plain") });
    await producer.send({ topic, messages: messages("gzip"), compression: CompressionTypes.GZIP });
  };

  const consumeWith = async (kind: ClientKind, topic: string, expected: number): Promise<Received[]> => {
    const received: Received[] = [];
    const consumer = pool.track(kafkas[kind].consumer(quickConsumerConfig(topicName("cross", `${kind}-reader`))));
    await collectFromBeginning(consumer, topic, received);
    // Every distinct message, however many copies came; a copy shows in the count below.
    const distinct = (): number => new Set(received.map((m) => `${m.partition}/${m.offset}`)).size;
    await waitFor(
      () => distinct() >= expected,
      () => `${kind} reading ${expected} messages (got ${distinct()})`,
    );
    await consumer.disconnect();
    assert.equal(received.length, expected, `${kind} delivered duplicates`);
    return received;
  };

  /** Every non-empty partition holds a gzip batch, and nothing but none/gzip. */
  const assertGzipStored = async (topic: string, partitions: number): Promise<void> => {
    for (const partition of range(partitions)) {
      const codecs = await storedBatchCodecs(broker.address, topic, partition);
      if (codecs.length === 0) continue;
      assert.ok(
        codecs.includes(GZIP_CODEC),
        `partition ${partition} has no gzip batch (codecs ${JSON.stringify(codecs)})`,
      );
      assert.ok(
        codecs.every((c) => c === 0 || c === GZIP_CODEC),
        `partition ${partition} codecs ${JSON.stringify(codecs)}`,
      );
    }
  };

  const readWithKcat = async (
    topic: string,
  ): Promise<Array<{ partition: number; key: string; value: string; headers: Record<string, string> }>> => {
    const result = await runKcat(
      ["-b", broker.address, "-C", "-e", "-q", "-t", topic, "-f", "%p|%k|%s|%h\\n"],
      KCAT_RUN,
    );
    assert.equal(result.code, 0, `kcat failed: ${result.stderr}`);
    return result.stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const [partition, key, value, headers] = line.split("|");
        return {
          partition: Number(partition),
          key: key!,
          value: value!,
          headers: Object.fromEntries(
            headers!
              .split(",")
              .filter((h) => h !== "")
              .map((h) => h.split("=") as [string, string]),
          ),
        };
      });
  };

  it(
    "when ours produces plain and gzip batches, then kafkajs and kcat read every message intact",
    ...needs(KCAT, { timeout: 40_000 }, () =>
      withBrokerLog(broker, async () => {
        const topic = await createTopic("from-ours", 3);
        await produceWith("ours", topic);
        await assertGzipStored(topic, 3);

        const byKafkajs = await consumeWith("kafkajs", topic, 40);
        const values = sorted(byKafkajs.map((m) => m.value!));
        assert.deepEqual(values, sorted([...range(20).map((i) => `plain-${i}`), ...range(20).map((i) => `gzip-${i}`)]));
        for (const message of byKafkajs) {
          const index = Number(message.value!.split("-")[1]);
          assert.deepEqual(
            [message.key, message.headers],
            [`key-${index % 5}`, { source: "ours", index: String(index) }],
          );
        }

        const byKcat = await readWithKcat(topic);
        assert.deepEqual(sorted(byKcat.map(essence)), sorted(byKafkajs.map(essence)));
      }),
    ),
  );

  it("when kafkajs produces plain and gzip batches, then ours reads every message intact", { timeout: 40_000 }, () =>
    withBrokerLog(broker, async () => {
      const topic = await createTopic("from-kafkajs", 3);
      await produceWith("kafkajs", topic);
      await assertGzipStored(topic, 3);

      const byOurs = await consumeWith("ours", topic, 40);
      const byReference = await consumeWith("kafkajs", topic, 40);
      assert.deepEqual(sorted(byOurs.map(essence)), sorted(byReference.map(essence)));
      const perPartitionOrder = (list: Received[]): string[] =>
        range(3).map((p) =>
          list
            .filter((m) => m.partition === p)
            .map((m) => m.offset)
            .join(","),
        );
      assert.deepEqual(perPartitionOrder(byOurs), perPartitionOrder(byReference));
    }),
  );

  it(
    "when kcat produces keyed and unkeyed messages, with and without -z gzip, then ours reads every message intact",
    ...needs(KCAT, { timeout: 40_000 }, () =>
      withBrokerLog(broker, async () => {
        const topic = await createTopic("from-kcat", 3);
        // Compressible padding, so librdkafka has a reason to compress.
        const padding = "x".repeat(300);
        const lines = (prefix: string, keyed: boolean): string =>
          `${range(15)
            .map((i) => (keyed ? `key-${i % 4}:${prefix}-${i}-${padding}` : `${prefix}-${i}-${padding}`))
            .join("\n")}\n`;
        const produce = async (args: string[], input: string): Promise<void> => {
          const result = await runKcat(["-b", broker.address, "-P", "-t", topic, "-H", "source=kcat", ...args], {
            ...KCAT_RUN,
            input,
          });
          assert.equal(result.code, 0, `kcat failed: ${result.stderr}`);
        };
        await produce(["-K", ":"], lines("plain", true));
        await produce(["-K", ":", "-z", "gzip"], lines("gzip", true));
        await produce(["-z", "gzip"], lines("unkeyed", false));

        const byOurs = await consumeWith("ours", topic, 45);
        const byKcat = await readWithKcat(topic);
        assert.deepEqual(sorted(byOurs.map((m) => essence({ ...m, key: m.key ?? "" }))), sorted(byKcat.map(essence)));
        for (const message of byOurs) {
          const [prefix, index] = message.value!.split("-");
          assert.equal(message.key, prefix === "unkeyed" ? null : `key-${Number(index) % 4}`);
          assert.deepEqual(message.headers, { source: "kcat" });
        }
      }),
    ),
  );

  // librdkafka compresses only when the broker's Produce range contains v0 (else it logs "Broker
  // does not support compression type gzip" and sends plain batches), so this proves both sides.
  it(
    "when kcat produces with -z gzip, then the batches are stored gzip-compressed and ours reads them",
    ...needs(KCAT, { timeout: 20_000 }, () =>
      withBrokerLog(broker, async () => {
        const topic = await createTopic("kcat-gzip", 1);
        const values = range(20).map((i) => `gzip-${i}-${"x".repeat(300)}`);
        const result = await runKcat(["-b", broker.address, "-P", "-t", topic, "-z", "gzip"], {
          ...KCAT_RUN,
          input: `${values.join("\n")}\n`,
        });
        assert.equal(result.code, 0, `kcat failed: ${result.stderr}`);
        await assertGzipStored(topic, 1);
        const byOurs = await consumeWith("ours", topic, values.length);
        assert.deepEqual(
          byOurs.map((m) => m.value),
          values,
        );
      }),
    ),
  );

  for (const leader of ["kafkajs", "ours"] as const) {
    const follower: ClientKind = leader === "kafkajs" ? "ours" : "kafkajs";

    it(
      `when a ${leader} member and then a ${follower} member share a group, then they split the partitions`,
      { timeout: 40_000 },
      () =>
        withBrokerLog(broker, async () => {
          const topic = await createTopic(`mixed-${leader}-first`, 4);
          const groupId = topicName("cross", `mixed-${leader}-first-group`);
          const members: Array<{
            kind: ClientKind;
            consumer: Consumer;
            assignment: AssignmentTracker;
            received: Received[];
          }> = [];
          for (const kind of [leader, follower]) {
            const consumer = pool.track(kafkas[kind].consumer(quickConsumerConfig(groupId)));
            const assignment = trackAssignment(consumer, topic);
            const received: Received[] = [];
            await collectFromBeginning(consumer, topic, received);
            members.push({ kind, consumer, assignment, received });
            if (members.length === 1)
              await waitFor(() => assignment.partitions()?.length === 4, `the ${leader} member's first assignment`);
          }
          const state = (): string =>
            members.map((m) => `${m.kind}=${JSON.stringify(m.assignment.partitions() ?? null)}`).join(" ");
          await waitFor(
            () =>
              splitsExactly(
                members.map((m) => m.assignment.partitions()),
                4,
              ) && members.every((m) => m.assignment.partitions()!.length === 2),
            () => `an even split: ${state()}`,
          );
          const { groups } = await admin.describeGroups([groupId]);
          assert.equal(groups[0]!.state, "Stable");
          assert.equal(groups[0]!.members.length, 2);

          await connectedProducer(kafkas.kafkajs, pool).then((producer) =>
            producer.send({ topic, messages: range(4).map((partition) => ({ value: `to-${partition}`, partition })) }),
          );
          for (const partition of range(4)) {
            const owner = members.find((m) => m.assignment.partitions()!.includes(partition))!;
            await waitFor(
              () => owner.received.some((m) => m.value === `to-${partition}`),
              () => `to-${partition} at ${owner.kind} (${state()})`,
            );
          }
          for (const member of members) {
            assert.deepEqual(
              sorted([...new Set(member.received.map((m) => String(m.partition)))]),
              sorted(member.assignment.partitions()!.map(String)),
            );
          }

          // The leader leaves: the follower takes everything.
          await members[0]!.consumer.disconnect();
          await waitFor(
            () => members[1]!.assignment.partitions()?.length === 4,
            () => `the ${follower} member taking over: ${state()}`,
          );
        }),
    );
  }
});
