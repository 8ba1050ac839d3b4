// The controller's partition invariants under fast-check: random sequences of broker registrations
// (new incarnations too), heartbeats (fence, unfence, shut down), expired sessions, topic creations,
// AlterPartition calls, elections, rebalances and unclean-election config changes, each committed
// through the metadata log's encoding. After every step: a leader is in its ISR (or there is none),
// the ISR is a non-empty subset of the replicas, a leader and the other ISR members of a led
// partition are active brokers, and leader and partition epochs only rise.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ClusterControl } from "../../../broker/controller/cluster-control.ts";
import { alterPartition, balancePartitionLeaders, electLeaders } from "../../../broker/controller/leader-and-isr.ts";
import { createTopics } from "../../../broker/controller/replication-control.ts";
import {
  decodeMetadataRecord,
  encodeMetadataRecord,
  type MetadataRecord,
} from "../../../broker/protocol/metadata-records/serde.ts";
import { MetadataImage } from "../../../broker/server/metadata/metadata-image.ts";
import { commit, creatable, incarnationOf, topicIdOf, topicSettings } from "./cluster-fixture.ts";

const sessionTimeoutMs = 1000;
const brokerId = fc.integer({ min: 0, max: 4 });
/** True one time in five. */
const rarely = fc.integer({ min: 0, max: 4 }).map((n) => n === 0);
const topicName = fc.constantFrom("t0", "t1", "t2");

const operation = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("register" as const),
      broker: brokerId,
      generation: fc.integer({ min: 0, max: 2 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("heartbeat" as const),
      broker: brokerId,
      wantFence: rarely,
      wantShutDown: rarely,
      caughtUp: rarely.map((behind) => !behind),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("expire" as const), broker: brokerId }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("create" as const),
      topic: topicName,
      partitions: fc.integer({ min: 1, max: 4 }),
      replicationFactor: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("alter" as const),
      topic: topicName,
      partition: fc.integer({ min: 0, max: 3 }),
      keep: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("elect" as const), electionType: fc.constantFrom(0, 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("balance" as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("unclean" as const), topic: topicName, enabled: fc.boolean() }),
  },
);

type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

/** Commits as a Raft node would deliver: every record through the log's encoding. */
function commitEncoded(image: MetadataImage, records: MetadataRecord[]): MetadataImage {
  if (records.length === 0) return image;
  return commit(
    image,
    records.map((r) => decodeMetadataRecord(encodeMetadataRecord(r))),
  );
}

function checkInvariants(before: MetadataImage, after: MetadataImage): void {
  for (const { topic, partition } of after.allPartitions()) {
    const where = `${topic.name}-${partition.partition} ${JSON.stringify(partition)}`;
    assert.equal(new Set(partition.replicas).size, partition.replicas.length, where);
    assert.ok(partition.isr.length > 0, `empty ISR: ${where}`);
    assert.ok(
      partition.isr.every((id) => partition.replicas.includes(id)),
      `ISR outside the replicas: ${where}`,
    );
    if (partition.leader !== -1) {
      assert.ok(partition.isr.includes(partition.leader), `leader outside the ISR: ${where}`);
      for (const id of partition.isr)
        assert.ok(after.isActive(id), `inactive ISR member ${id} of a led partition: ${where}`);
    }
    const old = before.topicById(topic.topicId)?.partitions[partition.partition];
    if (old) {
      assert.ok(partition.leaderEpoch >= old.leaderEpoch, `leader epoch fell: ${where}`);
      assert.ok(partition.partitionEpoch >= old.partitionEpoch, `partition epoch fell: ${where}`);
      if (partition.leader !== old.leader)
        assert.ok(partition.leaderEpoch > old.leaderEpoch, `leader moved, same epoch: ${where}`);
      if (partition !== old)
        assert.ok(partition.partitionEpoch > old.partitionEpoch, `changed, same partition epoch: ${where}`);
    }
  }
}

function step(image: MetadataImage, control: ClusterControl, clock: { now: number }, op: Operation): MetadataRecord[] {
  const settings = { uncleanLeaderElection: false };
  switch (op.kind) {
    case "register":
      return control.registerBroker(image, {
        brokerId: op.broker,
        clusterId: "c",
        incarnationId: incarnationOf(op.broker, op.generation),
        listeners: [{ name: "PLAINTEXT", host: "h", port: 1, securityProtocol: 0 }],
        features: [],
        rack: null,
      }).records;
    case "heartbeat": {
      const broker = image.broker(op.broker);
      if (!broker) return [];
      const result = control.heartbeat(image, image, {
        brokerId: op.broker,
        brokerEpoch: broker.epoch,
        currentMetadataOffset: op.caughtUp ? image.offset : -1n,
        wantFence: op.wantFence,
        wantShutDown: op.wantShutDown,
      });
      // Committed at once, so the batch offset is known now.
      result.afterCommit?.(image.offset + BigInt(result.records.length));
      return result.records;
    }
    case "expire":
      clock.now += sessionTimeoutMs + 1;
      return control.fenceStaleBroker(image, op.broker).records;
    case "create":
      return createTopics(
        image,
        [creatable(op.topic, { numPartitions: op.partitions, replicationFactor: op.replicationFactor })],
        false,
        topicSettings({ newTopicId: () => topicIdOf(op.topic) }),
      ).records;
    case "alter": {
      const partition = image.partition(op.topic, op.partition);
      if (!partition || partition.leader === -1) return [];
      const rest = partition.replicas.filter((id, i) => id !== partition.leader && op.keep[i]);
      return alterPartition(
        image,
        {
          brokerId: partition.leader,
          brokerEpoch: image.broker(partition.leader)!.epoch,
          topics: [
            {
              topicId: image.topic(op.topic)!.topicId,
              partitions: [
                {
                  partitionIndex: op.partition,
                  leaderEpoch: partition.leaderEpoch,
                  newIsr: [partition.leader, ...rest],
                  partitionEpoch: partition.partitionEpoch,
                },
              ],
            },
          ],
        },
        2,
        settings,
      ).records;
    }
    case "elect":
      return electLeaders(image, { electionType: op.electionType, topicPartitions: null }, settings).records;
    case "balance":
      return balancePartitionLeaders(image, settings);
    case "unclean":
      return [
        {
          type: "ConfigRecord",
          version: 0,
          data: {
            resourceType: 2,
            resourceName: op.topic,
            name: "unclean.leader.election.enable",
            value: String(op.enabled),
          },
        },
      ];
  }
}

describe("controller invariants", () => {
  it("when any sequence of registrations, heartbeats, expiries, creations, ISR changes and elections is applied, then leaders stay in their ISRs, ISRs within the replicas, and epochs only rise", () => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 1, maxLength: 60 }), (operations) => {
        const clock = { now: 0 };
        const control = new ClusterControl(
          { clusterId: "c", sessionTimeoutMs, uncleanLeaderElection: false },
          () => clock.now,
        );
        let image = MetadataImage.EMPTY;
        // Three live brokers to start from, so most steps have partitions to act on.
        const start: Operation[] = [0, 1, 2].flatMap((broker) => [
          { kind: "register" as const, broker, generation: 0 },
          { kind: "heartbeat" as const, broker, wantFence: false, wantShutDown: false, caughtUp: true },
        ]);
        for (const op of [...start, ...operations]) {
          const next = commitEncoded(image, step(image, control, clock, op));
          checkInvariants(image, next);
          image = next;
        }
      }),
      { numRuns: 300 },
    );
  });
});
