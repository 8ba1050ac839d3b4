// Conformance: the admin API — topics, partitions, offsets, groups and the cluster — checked
// against kafkajs's results for each client, then the two clients' results compared after
// replacing the names that differ between runs (topics, groups, member ids).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AssignerProtocol } from "kafkajs";
import { trackAssignment } from "../helpers/group-assignment.ts";
import {
  type ClientKind,
  clientKinds,
  committedOffsets,
  quickGroupBrokerConfig,
  topicName,
  useBroker,
  useClientsOf,
  waitFor,
  withBrokerLog,
} from "./helpers.ts";

type Snapshot = Record<string, unknown>;

/** Plain data with run-specific names replaced by placeholders; undefined kept visible. */
function normalize(value: unknown, names: Record<string, string>): unknown {
  let text = JSON.stringify(value, (_key, v: unknown) => (v === undefined ? "<undefined>" : v)) ?? "<undefined>";
  for (const [name, placeholder] of Object.entries(names).sort((a, b) => b[0].length - a[0].length))
    text = text.split(name).join(placeholder);
  return JSON.parse(text);
}

describe("conformance: admin", () => {
  const broker = useBroker({ config: { ...quickGroupBrokerConfig, "auto.create.topics.enable": false } });
  const snapshots: Record<ClientKind, Record<string, Snapshot>> = { kafkajs: {}, ours: {} };

  for (const kind of clientKinds) {
    describe(kind, () => {
      // One clientId for both kinds: it shows up in describeGroups, which is compared.
      const clients = useClientsOf(kind, broker, "conformance-admin");
      const names: Record<string, string> = {};

      const named = (scenario: string): string => {
        const name = topicName(kind, scenario);
        names[name] = `<${scenario}>`;
        return name;
      };
      const record = (scenario: string, snapshot: Snapshot): void => {
        snapshots[kind][scenario] = normalize(snapshot, names) as Snapshot;
      };

      it(
        "when topics are created, listed, described, grown and deleted, then each call answers as kafkajs's does",
        { timeout: 30_000 },
        () =>
          withBrokerLog(broker, async () => {
            const topic = named("topic");
            const created = await clients.admin.createTopics({
              topics: [{ topic, numPartitions: 2, configEntries: [{ name: "retention.ms", value: "3600000" }] }],
              waitForLeaders: true,
            });
            assert.equal(created, true);
            const createdAgain = await clients.admin.createTopics({
              topics: [{ topic, numPartitions: 2 }],
              waitForLeaders: true,
            });
            assert.equal(createdAgain, false, "createTopics for an existing topic resolves false");

            const listed = await clients.admin.listTopics();
            assert.ok(listed.includes(topic), `listTopics ${JSON.stringify(listed)} lacks ${topic}`);

            const metadata = await clients.admin.fetchTopicMetadata({ topics: [topic] });
            assert.deepEqual(
              metadata.topics.map((t) => t.name),
              [topic],
            );
            assert.deepEqual(metadata.topics[0]!.partitions.map((p) => p.partitionId).sort(), [0, 1]);
            for (const partition of metadata.topics[0]!.partitions) {
              assert.equal(partition.partitionErrorCode, 0);
              assert.equal(partition.leader, 0);
              assert.deepEqual(partition.replicas, [0]);
              assert.deepEqual(partition.isr, [0]);
            }

            const grown = await clients.admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] });
            const afterGrowth = await clients.admin.fetchTopicMetadata({ topics: [topic] });
            assert.deepEqual(afterGrowth.topics[0]!.partitions.map((p) => p.partitionId).sort(), [0, 1, 2, 3]);
            const everything = await clients.admin.fetchTopicMetadata();
            const inFullListing = everything.topics.find((t) => t.name === topic);
            assert.ok(inFullListing, "fetchTopicMetadata() without topics lists every topic");

            await clients.admin.deleteTopics({ topics: [topic] });
            await waitFor(
              async () => !(await clients.admin.listTopics()).includes(topic),
              "the deleted topic leaving listTopics",
            );

            record("topics", {
              created,
              createdAgain,
              metadata: sortPartitions(metadata),
              grown,
              afterGrowth: sortPartitions(afterGrowth),
              inFullListing: sortPartitions({ topics: [inFullListing] }),
            });
          }),
      );

      it("when offsets are queried, set and reset, then each call answers as kafkajs's does", { timeout: 30_000 }, () =>
        withBrokerLog(broker, async () => {
          const topic = named("offsets");
          const groupId = named("offsets-group");
          assert.equal(
            await clients.admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true }),
            true,
          );
          await clients.producer.send({
            topic,
            messages: [
              { value: "a", partition: 0, timestamp: "1000000" },
              { value: "b", partition: 0, timestamp: "2000000" },
              { value: "c", partition: 0, timestamp: "3000000" },
              { value: "d", partition: 1, timestamp: "5000000" },
            ],
          });

          const topicOffsets = byPartition(await clients.admin.fetchTopicOffsets(topic));
          assert.deepEqual(topicOffsets, [
            { partition: 0, offset: "3", high: "3", low: "0" },
            { partition: 1, offset: "1", high: "1", low: "0" },
          ]);
          const atMiddle = byPartition(await clients.admin.fetchTopicOffsetsByTimestamp(topic, 1_500_000));
          assert.deepEqual(atMiddle, [
            { partition: 0, offset: "1" },
            { partition: 1, offset: "0" },
          ]);
          // Past the last record Kafka answers -1; kafkajs reports the high watermark instead.
          const pastEnd = byPartition(await clients.admin.fetchTopicOffsetsByTimestamp(topic, 4_000_000));
          assert.deepEqual(pastEnd, [
            { partition: 0, offset: "3" },
            { partition: 1, offset: "0" },
          ]);
          const withoutTimestamp = byPartition(await clients.admin.fetchTopicOffsetsByTimestamp(topic));

          const beforeAnyCommit = await clients.admin.fetchOffsets({ groupId, topics: [topic] });
          assert.deepEqual(offsetsOf(beforeAnyCommit), { 0: "-1", 1: "-1" });

          await clients.admin.setOffsets({
            groupId,
            topic,
            partitions: [
              { partition: 0, offset: "2" },
              { partition: 1, offset: "1" },
            ],
          });
          const afterSet = await clients.admin.fetchOffsets({ groupId, topics: [topic] });
          assert.deepEqual(offsetsOf(afterSet), { 0: "2", 1: "1" });
          const allTopics = await clients.admin.fetchOffsets({ groupId });

          await clients.admin.resetOffsets({ groupId, topic, earliest: true });
          const afterResetEarliest = await clients.admin.fetchOffsets({ groupId, topics: [topic] });
          const resolvedEarliest = await clients.admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets: true });
          assert.deepEqual(offsetsOf(resolvedEarliest), { 0: "0", 1: "0" });

          record("offsets", {
            topicOffsets,
            atMiddle,
            pastEnd,
            withoutTimestamp,
            beforeAnyCommit,
            afterSet,
            allTopics,
            afterResetEarliest,
            resolvedEarliest,
          });
        }),
      );

      it(
        "when groups are listed, described and deleted, then each call answers as kafkajs's does",
        { timeout: 30_000 },
        () =>
          withBrokerLog(broker, async () => {
            const topic = named("groups");
            const activeGroup = named("active-group");
            const committedGroup = named("committed-group");
            const unknownGroup = named("unknown-group");
            assert.equal(
              await clients.admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true }),
              true,
            );
            await clients.admin.setOffsets({
              groupId: committedGroup,
              topic,
              partitions: [{ partition: 0, offset: "0" }],
            });

            const consumer = clients.consumer(activeGroup);
            const assignment = trackAssignment(consumer, topic);
            await consumer.connect();
            await consumer.subscribe({ topics: [topic] });
            await consumer.run({ eachMessage: async () => undefined });
            await waitFor(() => assignment.partitions()?.length === 2, "the active member's assignment");
            names[assignment.memberId()!] = "<member-id>";

            const ownGroups = [activeGroup, committedGroup, unknownGroup];
            const listed = (await clients.admin.listGroups()).groups
              .filter((g) => ownGroups.includes(g.groupId))
              .sort((a, b) => a.groupId.localeCompare(b.groupId));
            assert.deepEqual(listed.map((g) => g.groupId).sort(), [activeGroup, committedGroup].sort());
            assert.equal(listed.find((g) => g.groupId === activeGroup)!.protocolType, "consumer");

            const described = await clients.admin.describeGroups([activeGroup, unknownGroup]);
            const [active, unknown] = described.groups;
            assert.equal(active!.groupId, activeGroup);
            assert.equal(active!.state, "Stable");
            assert.equal(active!.protocolType, "consumer");
            assert.equal(active!.members.length, 1);
            assert.equal(active!.members[0]!.memberId, assignment.memberId());
            const memberMetadata = AssignerProtocol.MemberMetadata.decode(active!.members[0]!.memberMetadata);
            const memberAssignment = AssignerProtocol.MemberAssignment.decode(active!.members[0]!.memberAssignment);
            assert.deepEqual(memberMetadata?.topics, [topic]);
            assert.deepEqual(memberAssignment?.assignment, { [topic]: [0, 1] });
            assert.deepEqual([unknown!.groupId, unknown!.state, unknown!.members], [unknownGroup, "Dead", []]);

            const deletingActive = await clients.admin.deleteGroups([activeGroup]).then(
              (result) => ({ result }),
              (error: {
                name: string;
                groups?: Array<{ groupId: string; errorCode: number; error?: { type?: string } }>;
              }) => ({
                error: error.name,
                groups: error.groups?.map((g) => ({ groupId: g.groupId, errorCode: g.errorCode, type: g.error?.type })),
              }),
            );
            assert.deepEqual(deletingActive, {
              error: "KafkaJSDeleteGroupsError",
              groups: [{ groupId: activeGroup, errorCode: 68, type: "NON_EMPTY_GROUP" }],
            });

            await consumer.disconnect();
            await waitFor(
              async () => (await clients.admin.describeGroups([activeGroup])).groups[0]!.state === "Empty",
              "the group emptying",
            );
            const deleted = await clients.admin.deleteGroups([activeGroup, committedGroup]);
            assert.deepEqual(
              deleted.map((g) => [g.groupId, g.errorCode]).sort(),
              [
                [activeGroup, 0],
                [committedGroup, 0],
              ].sort(),
            );
            const afterDelete = await clients.admin.describeGroups([activeGroup]);
            assert.equal(afterDelete.groups[0]!.state, "Dead");
            const listedAfter = (await clients.admin.listGroups()).groups.filter((g) => ownGroups.includes(g.groupId));
            assert.deepEqual(listedAfter, []);
            assert.deepEqual(await committedOffsets(clients.admin, committedGroup, topic), { 0: "-1", 1: "-1" });

            record("groups", {
              listed,
              described: {
                groups: described.groups.map((g) => ({
                  ...g,
                  members: g.members.map((m) => ({
                    ...m,
                    memberMetadata: AssignerProtocol.MemberMetadata.decode(m.memberMetadata),
                    memberAssignment: AssignerProtocol.MemberAssignment.decode(m.memberAssignment),
                  })),
                })),
              },
              deletingActive,
              deleted: [...deleted].sort((a, b) => a.groupId.localeCompare(b.groupId)),
              afterDelete,
            });
            // Last, so the checks above run whatever this says: kafkajs's setOffsets joins the group
            // as a consumer, so the group it creates lists with protocolType "consumer".
            assert.equal(
              listed.find((g) => g.groupId === committedGroup)?.protocolType,
              "consumer",
              "protocolType of a group created by clients.admin.setOffsets",
            );
          }),
      );

      it("when the cluster is described, then it lists the broker, the controller and the cluster id", {
        timeout: 15_000,
      }, async () => {
        const cluster = await clients.admin.describeCluster();
        assert.deepEqual(cluster.brokers, [{ nodeId: 0, host: broker.host, port: broker.port }]);
        assert.equal(cluster.controller, 0);
        assert.equal(typeof cluster.clusterId, "string");
        record("cluster", cluster);
      });
    });
  }

  describe("both clients", () => {
    for (const scenario of ["topics", "offsets", "groups", "cluster"]) {
      it(`when the ${scenario} scenario ran with both, then their results are equal`, (t) => {
        const [reference, ours] = [snapshots.kafkajs[scenario], snapshots.ours[scenario]];
        if (!reference || !ours) return t.skip("the scenario failed for one of the clients");
        assert.deepEqual(ours, reference);
      });
    }
  });
});

function sortPartitions<T extends { topics: Array<{ partitions: Array<{ partitionId: number }> } | undefined> }>(
  metadata: T,
): T {
  return {
    ...metadata,
    topics: metadata.topics.map(
      (t) => t && { ...t, partitions: [...t.partitions].sort((a, b) => a.partitionId - b.partitionId) },
    ),
  };
}

function byPartition<T extends { partition: number }>(entries: T[]): T[] {
  return [...entries].sort((a, b) => a.partition - b.partition);
}

function offsetsOf(
  result: Array<{ partitions: Array<{ partition: number; offset: string }> }>,
): Record<number, string> {
  return Object.fromEntries((result[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
}
