import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type AlterPartitionRequestData,
  alterPartition,
  balancePartitionLeaders,
  controlledShutdownRecords,
  electLeaders,
  electUncleanLeaders,
  fenceBrokerRecords,
  unfenceBrokerRecords,
  unregisterBrokerRecords,
} from "../../../broker/controller/leader-and-isr.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import type { MetadataImage } from "../../../broker/server/metadata/metadata-image.ts";
import { clusterOf, commit, electionSettings, topicIdOf, withTopic } from "./cluster-fixture.ts";

const orders = topicIdOf("orders");

describe("broker fencing, unfencing, shutdown and unregistration", () => {
  it("when a leader is fenced, then an ISR member leads with the leader epoch one higher and the fenced broker leaves the ISR", () => {
    const image = withTopic(clusterOf([1, 2, 3]), "orders", [
      [1, 2, 3],
      [2, 1, 3],
    ]);
    const records = fenceBrokerRecords(image, 1, electionSettings);
    assert.deepEqual(
      records.map((r) => r.type),
      ["PartitionChangeRecord", "PartitionChangeRecord", "FenceBrokerRecord"],
    );
    const after = commit(image, records);
    assert.deepEqual(after.partition("orders", 0), {
      partition: 0,
      replicas: [1, 2, 3],
      isr: [2, 3],
      leader: 2,
      leaderEpoch: 1,
      partitionEpoch: 1,
    });
    assert.deepEqual(after.partition("orders", 1), {
      partition: 1,
      replicas: [2, 1, 3],
      isr: [2, 3],
      leader: 2,
      leaderEpoch: 0,
      partitionEpoch: 1,
    });
    assert.equal(after.broker(1)!.fenced, true);
  });

  it("when the last ISR member is fenced, then the partition has no leader and the ISR keeps that member (Kafka never empties it)", () => {
    const image = withTopic(clusterOf([1, 2]), "orders", [{ replicas: [1, 2], isr: [1] }]);
    const after = commit(image, fenceBrokerRecords(image, 1, electionSettings));
    assert.deepEqual(after.partition("orders", 0), {
      partition: 0,
      replicas: [1, 2],
      isr: [1],
      leader: -1,
      leaderEpoch: 1,
      partitionEpoch: 1,
    });
  });

  it("when the last ISR member is fenced and the topic allows unclean election, then a live replica outside the ISR leads alone and it is reported", () => {
    const image = withTopic(clusterOf([1, 2]), "orders", [{ replicas: [1, 2], isr: [1] }], {
      "unclean.leader.election.enable": "true",
    });
    const unclean: unknown[] = [];
    const after = commit(
      image,
      fenceBrokerRecords(image, 1, {
        uncleanLeaderElection: false,
        onUncleanElection: (...args) => unclean.push(args),
      }),
    );
    assert.deepEqual([after.partition("orders", 0)!.leader, after.partition("orders", 0)!.isr], [2, [2]]);
    assert.deepEqual(unclean, [["orders", 0, 2]]);
  });

  it("when the broker default or a cluster-wide config allows unclean election and the topic says nothing, then it applies; a topic's false wins", () => {
    const leaderless = (topicConfigs: Record<string, string> = {}) =>
      withTopic(clusterOf([1, 2]), "orders", [{ replicas: [1, 2], isr: [1] }], topicConfigs);
    const leaderAfterFence = (image: MetadataImage, uncleanLeaderElection: boolean) =>
      commit(image, fenceBrokerRecords(image, 1, { uncleanLeaderElection })).partition("orders", 0)!.leader;
    assert.equal(leaderAfterFence(leaderless(), true), 2);
    assert.equal(leaderAfterFence(leaderless({ "unclean.leader.election.enable": "false" }), true), -1);
    const clusterWide = commit(leaderless(), [
      {
        type: "ConfigRecord",
        version: 0,
        data: { resourceType: 4, resourceName: "", name: "unclean.leader.election.enable", value: "true" },
      },
    ]);
    assert.equal(leaderAfterFence(clusterWide, false), 2);
  });

  it("when a fenced ISR member is unfenced, then it leads the leaderless partitions it is in sync for", () => {
    let image = withTopic(clusterOf([1, 2]), "orders", [{ replicas: [1, 2], isr: [1] }]);
    image = commit(image, fenceBrokerRecords(image, 1, electionSettings));
    const records = unfenceBrokerRecords(image, 1, electionSettings);
    assert.deepEqual(
      records.map((r) => r.type),
      ["UnfenceBrokerRecord", "PartitionChangeRecord"],
    );
    const after = commit(image, records);
    assert.deepEqual([after.partition("orders", 0)!.leader, after.partition("orders", 0)!.leaderEpoch], [1, 2]);
    assert.equal(after.broker(1)!.fenced, false);
  });

  it("when a broker starts a controlled shutdown, then it is marked, leaves the ISRs and its leaderships move", () => {
    const image = withTopic(clusterOf([1, 2]), "orders", [[1, 2]]);
    const after = commit(image, controlledShutdownRecords(image, 1, electionSettings));
    assert.equal(after.broker(1)!.inControlledShutdown, true);
    assert.deepEqual([after.partition("orders", 0)!.leader, after.partition("orders", 0)!.isr], [2, [2]]);
    assert.deepEqual(
      controlledShutdownRecords(after, 1, electionSettings).map((r) => r.type),
      [],
      "nothing more to do the second time",
    );
  });

  it("when a broker is unregistered, then it leaves the ISRs and the registration goes", () => {
    const image = withTopic(clusterOf([1, 2]), "orders", [[1, 2]]);
    const after = commit(image, unregisterBrokerRecords(image, 2, electionSettings));
    assert.equal(after.broker(2), undefined);
    assert.deepEqual(after.partition("orders", 0)!.isr, [1]);
    assert.deepEqual(unregisterBrokerRecords(image, 9, electionSettings), []);
  });
});

describe("alterPartition", () => {
  const image = withTopic(clusterOf([1, 2, 3], { fenced: [3] }), "orders", [[1, 2, 3]]);
  const request = (
    partition: Partial<AlterPartitionRequestData["topics"][number]["partitions"][number]>,
    more: Partial<AlterPartitionRequestData> = {},
  ): AlterPartitionRequestData => ({
    brokerId: 1,
    brokerEpoch: 101n,
    topics: [
      {
        topicName: "orders",
        topicId: orders,
        partitions: [{ partitionIndex: 0, leaderEpoch: 0, newIsr: [1, 2], partitionEpoch: 0, ...partition }],
      },
    ],
    ...more,
  });
  const errorOf = (req: AlterPartitionRequestData, version = 2) =>
    alterPartition(image, req, version, electionSettings).response.topics[0]!.partitions[0]!.errorCode;

  it("when the leader shrinks the ISR with the current epochs, then a PartitionChangeRecord is written and the answer shows the new partition epoch", () => {
    const { records, response } = alterPartition(image, request({ newIsr: [1] }), 2, electionSettings);
    assert.deepEqual(records, [
      { type: "PartitionChangeRecord", version: 0, data: { partitionId: 0, topicId: orders, isr: [1], leader: -2 } },
    ]);
    assert.deepEqual(response.topics[0]!.partitions[0], {
      partitionIndex: 0,
      errorCode: ErrorCode.NONE,
      leaderId: 1,
      leaderEpoch: 0,
      isr: [1],
      leaderRecoveryState: 0,
      partitionEpoch: 1,
    });
  });

  it("when the ISR asked for is the current one, then nothing is written and the answer is the current state", () => {
    const inSync = withTopic(clusterOf([1, 2]), "orders", [[1, 2]]);
    const { records, response } = alterPartition(inSync, request({ newIsr: [1, 2] }), 2, electionSettings);
    assert.deepEqual(records, []);
    assert.equal(response.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.equal(response.topics[0]!.partitions[0]!.partitionEpoch, 0);
  });

  it("when the request's epochs are stale or newer, or the asker is not the leader, then Kafka's errors in Kafka's order", () => {
    const moved = commit(image, alterPartition(image, request({ newIsr: [1] }), 2, electionSettings).records);
    const stale = alterPartition(moved, request({ newIsr: [1, 2] }), 2, electionSettings);
    assert.equal(stale.response.topics[0]!.partitions[0]!.errorCode, ErrorCode.INVALID_UPDATE_VERSION);
    assert.deepEqual(stale.records, []);
    assert.equal(errorOf(request({ leaderEpoch: 1 })), ErrorCode.NOT_CONTROLLER);
    assert.equal(errorOf(request({ partitionEpoch: 1 })), ErrorCode.NOT_CONTROLLER);
    const newLeader = commit(image, fenceBrokerRecords(image, 2, electionSettings));
    const led = commit(newLeader, fenceBrokerRecords(newLeader, 1, electionSettings));
    assert.equal(
      alterPartition(led, request({}), 2, electionSettings).response.topics[0]!.partitions[0]!.errorCode,
      ErrorCode.FENCED_LEADER_EPOCH,
    );
    assert.equal(errorOf(request({}, { brokerId: 2, brokerEpoch: 102n })), ErrorCode.INVALID_REQUEST);
  });

  it("when the new ISR is malformed or holds a replica that may not be in sync, then INVALID_REQUEST or INELIGIBLE_REPLICA", () => {
    assert.equal(errorOf(request({ newIsr: [1, 4] })), ErrorCode.INVALID_REQUEST);
    assert.equal(errorOf(request({ newIsr: [2] })), ErrorCode.INVALID_REQUEST);
    assert.equal(errorOf(request({ newIsr: [1, 1] })), ErrorCode.INVALID_REQUEST);
    assert.equal(errorOf(request({ leaderRecoveryState: 1 })), ErrorCode.INVALID_REQUEST);
    assert.equal(errorOf(request({ newIsr: [1, 3] })), ErrorCode.INELIGIBLE_REPLICA);
    assert.equal(errorOf(request({ newIsr: [1, 3] }), 1), ErrorCode.OPERATION_NOT_ATTEMPTED);
    const withEpochs = (brokerEpoch: bigint) =>
      request({
        newIsrWithEpochs: [
          { brokerId: 1, brokerEpoch: -1n },
          { brokerId: 2, brokerEpoch },
        ],
      });
    assert.equal(errorOf(withEpochs(999n), 3), ErrorCode.INELIGIBLE_REPLICA);
    assert.equal(errorOf(withEpochs(102n), 3), ErrorCode.NONE);
  });

  it("when the topic or partition is unknown, then UNKNOWN_TOPIC_ID by id (v2+), UNKNOWN_TOPIC_OR_PARTITION by name or for a partition", () => {
    const unknown: AlterPartitionRequestData = {
      ...request({}),
      topics: [{ topicName: "nope", topicId: topicIdOf("nope"), partitions: request({}).topics[0]!.partitions }],
    };
    assert.equal(errorOf(unknown, 2), ErrorCode.UNKNOWN_TOPIC_ID);
    assert.equal(errorOf(unknown, 0), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(errorOf(request({ partitionIndex: 5 })), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it("when the broker epoch is not the asker's, then the whole answer is STALE_BROKER_EPOCH", () => {
    const { records, response } = alterPartition(image, request({}, { brokerEpoch: 5n }), 2, electionSettings);
    assert.deepEqual([response.errorCode, response.topics, records], [ErrorCode.STALE_BROKER_EPOCH, [], []]);
  });
});

describe("elections", () => {
  const notPreferred = (): MetadataImage =>
    withTopic(clusterOf([1, 2, 3]), "orders", [
      { replicas: [1, 2], isr: [1, 2], leader: 2 },
      { replicas: [2, 1], isr: [2, 1], leader: 2 },
      { replicas: [3, 2], isr: [2], leader: 2 },
      { replicas: [1, 3], isr: [1], leader: -1 },
    ]);

  it("when a preferred election is asked for, then the preferred replica leads where it can and each partition gets Kafka's answer", () => {
    const image = notPreferred();
    const { records, response } = electLeaders(
      image,
      {
        electionType: 0,
        topicPartitions: [
          { topic: "orders", partitions: [0, 1, 2, 9] },
          { topic: "nope", partitions: [0] },
        ],
      },
      electionSettings,
    );
    assert.deepEqual(
      response.replicaElectionResults.map((t) => [t.topic, t.partitionResult.map((p) => [p.partitionId, p.errorCode])]),
      [
        [
          "orders",
          [
            [0, ErrorCode.NONE],
            [1, ErrorCode.ELECTION_NOT_NEEDED],
            [2, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE],
            [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
          ],
        ],
        ["nope", [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
      ],
    );
    assert.equal(commit(image, records).partition("orders", 0)!.leader, 1);
  });

  it("when every partition is asked for, then those already led as wanted are left out", () => {
    const { response } = electLeaders(notPreferred(), { electionType: 0, topicPartitions: null }, electionSettings);
    assert.deepEqual(
      response.replicaElectionResults[0]!.partitionResult.map((p) => [p.partitionId, p.errorCode]),
      [
        [0, ErrorCode.NONE],
        [2, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE],
        [3, ErrorCode.NONE],
      ],
    );
  });

  it("when an unclean election is asked for, then only leaderless partitions change and a leader may come from outside the ISR", () => {
    const image = withTopic(clusterOf([1, 2], { fenced: [1] }), "orders", [
      { replicas: [1, 2], isr: [1], leader: -1 },
      { replicas: [2], isr: [2], leader: 2 },
    ]);
    const { records, response } = electLeaders(
      image,
      { electionType: 1, topicPartitions: [{ topic: "orders", partitions: [0, 1] }] },
      electionSettings,
    );
    assert.deepEqual(
      response.replicaElectionResults[0]!.partitionResult.map((p) => p.errorCode),
      [ErrorCode.NONE, ErrorCode.ELECTION_NOT_NEEDED],
    );
    assert.deepEqual(commit(image, records).partition("orders", 0)!.isr, [2]);
    const none = withTopic(clusterOf([1], { fenced: [1] }), "t", [{ replicas: [1], isr: [1], leader: -1 }]);
    assert.equal(
      electLeaders(none, { electionType: 1, topicPartitions: [{ topic: "t", partitions: [0] }] }, electionSettings)
        .response.replicaElectionResults[0]!.partitionResult[0]!.errorCode,
      ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
    );
  });

  it("when the election type is unknown, then the request fails as a whole", () => {
    const { records, response } = electLeaders(
      notPreferred(),
      { electionType: 7, topicPartitions: null },
      electionSettings,
    );
    assert.deepEqual([response.errorCode, records], [ErrorCode.INVALID_REQUEST, []]);
  });

  it("when leaders are rebalanced, then partitions move to their preferred replica where it is in sync and alive", () => {
    const image = notPreferred();
    const after = commit(image, balancePartitionLeaders(image, electionSettings));
    assert.deepEqual(
      after.topic("orders")!.partitions.map((p) => p.leader),
      [1, 2, 2, 1],
    );
    assert.equal(balancePartitionLeaders(notPreferred(), electionSettings, 1).length, 1);
  });

  it("when leaderless partitions are checked for unclean elections, then only topics that allow them get a leader", () => {
    let image = clusterOf([1, 2], { fenced: [1] });
    image = withTopic(image, "strict", [{ replicas: [1, 2], isr: [1], leader: -1 }]);
    image = withTopic(image, "lenient", [{ replicas: [1, 2], isr: [1], leader: -1 }], {
      "unclean.leader.election.enable": "true",
    });
    const after = commit(image, electUncleanLeaders(image, electionSettings));
    assert.equal(after.partition("lenient", 0)!.leader, 2);
    assert.equal(after.partition("strict", 0)!.leader, -1);
  });
});
