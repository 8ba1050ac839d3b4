import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  alterPartition,
  controlledShutdownRecords,
  fenceBrokerRecords,
  unfenceBrokerRecords,
} from "../../../../broker/controller/leader-and-isr.ts";
import { alterPartitionReassignments } from "../../../../broker/controller/partition-reassignment.ts";
import type { MetadataRecord } from "../../../../broker/protocol/metadata-records/serde.ts";
import { type ClusterEventInput, EventJournal } from "../../../../broker/server/admin/cluster-events.ts";
import {
  clusterEventsBetween,
  MetadataEvents,
  ownRegistrationUnfenced,
} from "../../../../broker/server/metadata/metadata-events.ts";
import type { MetadataImage } from "../../../../broker/server/metadata/metadata-image.ts";
import {
  clusterOf,
  commit,
  electionSettings,
  registerBrokerRecord,
  topicIdOf,
  withTopic,
} from "../../controller/cluster-fixture.ts";

/** Three brokers; `orders` 0 led by 1 (replicas 1,2,3), `orders` 1 led by 2 (replicas 2,3,1). */
function ordersCluster(): MetadataImage {
  return withTopic(clusterOf([1, 2, 3]), "orders", [
    [1, 2, 3],
    [2, 3, 1],
  ]);
}

function partitionChange(partitionId: number, change: { isr?: number[]; leader?: number }): MetadataRecord {
  return {
    type: "PartitionChangeRecord",
    version: 0,
    data: { partitionId, topicId: topicIdOf("orders"), isr: change.isr ?? null, leader: change.leader ?? -2 },
  };
}

/** The events of committing `records` onto `image`, as [kind, partition or broker, cause]. */
function eventsOf(image: MetadataImage, records: MetadataRecord[]) {
  const next = commit(image, records);
  const events = clusterEventsBetween(image, next);
  return { next, events, summary: events.map((e) => [e.kind, e.partition ?? e.subjectBroker, e.cause]) };
}

describe("metadata events", () => {
  it("when a broker is fenced, then it, the leaderships it lost and the ISRs it left are recorded with that cause", () => {
    const image = ordersCluster();
    const { next, events, summary } = eventsOf(image, fenceBrokerRecords(image, 1, electionSettings));
    assert.deepEqual(summary, [
      ["broker-fenced", 1, "broker 1 sent no heartbeat within broker.session.timeout.ms"],
      ["leader-changed", 0, "broker 1 fenced"],
      ["isr-shrank", 0, "broker 1 fenced"],
      ["isr-shrank", 1, "broker 1 fenced"],
    ]);
    const leaderChanged = events.find((e) => e.kind === "leader-changed")!;
    assert.deepEqual(
      [leaderChanged.topic, leaderChanged.leader, leaderChanged.leaderEpoch, leaderChanged.isr],
      ["orders", 2, next.partition("orders", 0)!.leaderEpoch, [2, 3]],
    );
    assert.equal(
      leaderChanged.dedupKey,
      `md:${next.offset}:${topicIdOf("orders").toString("hex")}:0:leader-changed`,
      "the same key on every broker that applies the batch",
    );
    assert.equal(events.find((e) => e.kind === "broker-fenced")!.dedupKey, `md:${next.offset}:broker:1:broker-fenced`);
  });

  it("when a broker shuts down in a controlled way, then its leaderships move with that cause", () => {
    const image = ordersCluster();
    const { summary } = eventsOf(image, controlledShutdownRecords(image, 1, electionSettings));
    assert.deepEqual(summary, [
      ["leader-changed", 0, "controlled shutdown of broker 1"],
      ["isr-shrank", 0, "controlled shutdown of broker 1"],
      ["isr-shrank", 1, "controlled shutdown of broker 1"],
    ]);
  });

  it("when the leader drops a lagging follower and later takes it back, then the ISR shrank and expanded with those causes", () => {
    const image = ordersCluster();
    const shrunk = eventsOf(image, [partitionChange(0, { isr: [1, 2] })]);
    assert.deepEqual(shrunk.summary, [["isr-shrank", 0, "broker 3 fell behind (replica.lag.time.max.ms)"]]);
    assert.deepEqual(shrunk.events[0]!.isr, [1, 2]);
    const expanded = eventsOf(shrunk.next, [partitionChange(0, { isr: [1, 2, 3] })]);
    assert.deepEqual(expanded.summary, [["isr-expanded", 0, "broker 3 caught up"]]);
  });

  it("when a reassignment from [1, 2] to [2, 3] completes, then the leader moving off broker 1 and its leaving the ISR are recorded as the reassignment's", () => {
    const image = withTopic(clusterOf([1, 2, 3]), "orders", [[1, 2]]);
    const started = commit(
      image,
      alterPartitionReassignments(image, [{ name: "orders", partitions: [{ partitionIndex: 0, replicas: [2, 3] }] }])
        .records,
    );
    const leader = started.partition("orders", 0)!;
    const completion = alterPartition(
      started,
      {
        brokerId: 1,
        brokerEpoch: started.broker(1)!.epoch,
        topics: [
          {
            topicId: topicIdOf("orders"),
            partitions: [
              {
                partitionIndex: 0,
                leaderEpoch: leader.leaderEpoch,
                newIsr: [1, 2, 3],
                partitionEpoch: leader.partitionEpoch,
              },
            ],
          },
        ],
      },
      2,
      electionSettings,
    );
    assert.deepEqual(eventsOf(started, completion.records).summary, [
      ["leader-changed", 0, "reassignment: broker 1 is no longer a replica"],
      ["isr-shrank", 0, "reassignment: broker 1 is no longer a replica"],
      ["isr-expanded", 0, "broker 3 caught up"],
    ]);
  });

  it("when a fenced broker comes back and the preferred leader is elected again, then unfenced and a preferred leader election are recorded", () => {
    const fenced = eventsOf(ordersCluster(), fenceBrokerRecords(ordersCluster(), 1, electionSettings)).next;
    const unfenced = eventsOf(fenced, unfenceBrokerRecords(fenced, 1, electionSettings));
    assert.deepEqual(unfenced.summary, [
      ["broker-unfenced", 1, "broker 1 caught up with the metadata log and was unfenced"],
    ]);
    const caughtUp = eventsOf(unfenced.next, [partitionChange(0, { isr: [2, 3, 1] })]).next;
    const preferred = eventsOf(caughtUp, [partitionChange(0, { leader: 1 })]);
    assert.deepEqual(preferred.summary, [["leader-changed", 0, "preferred leader election"]]);
  });

  it("when a partition's only in-sync replica is fenced and later unfenced, then it goes offline and comes back with that broker", () => {
    const image = withTopic(clusterOf([1, 2]), "orders", [{ replicas: [1, 2], isr: [1] }]);
    const offline = eventsOf(image, fenceBrokerRecords(image, 1, electionSettings));
    assert.deepEqual(offline.summary, [
      ["broker-fenced", 1, "broker 1 sent no heartbeat within broker.session.timeout.ms"],
      ["leader-changed", 0, "broker 1 fenced, and no other in-sync replica can lead: offline"],
    ]);
    const back = eventsOf(offline.next, unfenceBrokerRecords(offline.next, 1, electionSettings));
    assert.deepEqual(back.summary, [
      ["broker-unfenced", 1, "broker 1 caught up with the metadata log and was unfenced"],
      ["leader-changed", 0, "broker 1 unfenced: it leads the partition that had no leader"],
    ]);
  });

  it("when a topic is created or a broker registers (again), then each is recorded", () => {
    const image = clusterOf([1, 2]);
    const created = withTopic(image, "orders", [[2, 1]]);
    assert.deepEqual(
      clusterEventsBetween(image, created).map((e) => [e.kind, e.partition, e.leader, e.cause]),
      [["leader-changed", 0, 2, "new topic: broker 2 leads"]],
    );
    const restarted = eventsOf(created, [registerBrokerRecord(2, 300n, { fenced: true, generation: 1 })]);
    assert.deepEqual(restarted.summary, [
      ["broker-registered", 2, "broker 2 restarted and registered again (broker epoch 300)"],
    ]);
    const joined = eventsOf(created, [registerBrokerRecord(3, 103n, { fenced: true })]);
    assert.deepEqual(joined.summary, [
      ["broker-registered", 3, "broker 3 registered with the controller (broker epoch 103)"],
    ]);
  });
});

describe("MetadataEvents", () => {
  it("when the metadata log is replayed on start, then nothing is recorded until the batch that unfences this broker's own registration", () => {
    const journal = new EventJournal({ broker: 1 });
    const recorder = new MetadataEvents({ journal, caughtUp: (image) => ownRegistrationUnfenced(image, 1, 201n) });
    const history = ordersCluster();
    const fenced = commit(history, fenceBrokerRecords(history, 2, electionSettings));
    recorder.onImage(fenced, history);
    const ownRegistration = commit(fenced, [registerBrokerRecord(1, 201n, { fenced: true, generation: 1 })]);
    recorder.onImage(ownRegistration, fenced);
    assert.deepEqual(journal.history(), [], "old facts and the fenced registration are not news");

    const unfenced = commit(ownRegistration, unfenceBrokerRecords(ownRegistration, 1, electionSettings));
    recorder.onImage(unfenced, ownRegistration);
    const live = commit(unfenced, [partitionChange(0, { isr: [3] })]);
    recorder.onImage(live, unfenced);
    assert.deepEqual(
      journal.history().map((event) => [event.kind, event.subjectBroker ?? event.partition]),
      [
        ["broker-unfenced", 1],
        ["isr-shrank", 0],
      ],
    );
  });

  it("when the metadata quorum elects a leader, then controller-changed is recorded under the epoch's key; of those heard while catching up only the latest", () => {
    const journal = new EventJournal({ broker: 3 });
    let caughtUp = false;
    const recorder = new MetadataEvents({ journal, caughtUp: () => caughtUp });
    recorder.onControllerChange({ leaderId: 1, epoch: 1 });
    recorder.onControllerChange({ leaderId: 2, epoch: 5 });
    assert.deepEqual(journal.history(), [], "a remembered leader is not news before this broker caught up");
    caughtUp = true;
    const image = ordersCluster();
    recorder.onImage(image, image);
    recorder.onControllerChange({ leaderId: null, epoch: 6 });
    recorder.onControllerChange({ leaderId: 3, epoch: 6 });
    const recorded: ClusterEventInput[] = journal.history();
    assert.deepEqual(
      recorded.map((e) => [e.kind, e.subjectBroker, e.leaderEpoch, e.dedupKey]),
      [
        ["controller-changed", 2, 5, "raft-epoch:5"],
        ["controller-changed", 3, 6, "raft-epoch:6"],
      ],
    );
    assert.equal(recorded[0]!.cause, "broker 2 won the election of epoch 5 and leads the metadata quorum");
  });
});
