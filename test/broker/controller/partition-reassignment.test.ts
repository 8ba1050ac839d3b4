import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AlterPartitionRequestData, alterPartition } from "../../../broker/controller/leader-and-isr.ts";
import {
  alterPartitionReassignments,
  completeReassignment,
  isReassigning,
  listPartitionReassignments,
  originalReplicas,
  targetReplicas,
} from "../../../broker/controller/partition-reassignment.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import {
  decodeMetadataRecord,
  encodeMetadataRecord,
  type MetadataRecord,
} from "../../../broker/protocol/metadata-records/serde.ts";
import type { MetadataImage } from "../../../broker/server/metadata/metadata-image.ts";
import { clusterOf, commit, electionSettings, topicIdOf, withTopic } from "./cluster-fixture.ts";

const orders = topicIdOf("orders");

/** Reassigns orders-0 to `replicas` and returns the outcome's error code and the records. */
function reassign(image: MetadataImage, replicas: number[] | null, topic = "orders", partitionIndex = 0) {
  const result = alterPartitionReassignments(image, [{ name: topic, partitions: [{ partitionIndex, replicas }] }]);
  const outcome = result.response[0]!.partitions[0]!;
  return { ...outcome, records: result.records };
}

/** The image after orders-0's leader asks for `isr` with AlterPartition. */
function leaderAsksIsr(image: MetadataImage, isr: number[]) {
  const partition = image.partition("orders", 0)!;
  const request: AlterPartitionRequestData = {
    brokerId: partition.leader,
    brokerEpoch: image.broker(partition.leader)!.epoch,
    topics: [
      {
        topicId: orders,
        partitions: [
          {
            partitionIndex: 0,
            leaderEpoch: partition.leaderEpoch,
            newIsr: isr,
            partitionEpoch: partition.partitionEpoch,
          },
        ],
      },
    ],
  };
  const result = alterPartition(image, request, 2, electionSettings);
  return { image: commit(image, result.records), result };
}

/** The image with orders-0 on [1, 2], being moved to [2, 3]. */
function moving(): MetadataImage {
  const image = withTopic(clusterOf([1, 2, 3]), "orders", [[1, 2]]);
  return commit(image, reassign(image, [2, 3]).records);
}

describe("starting a reassignment", () => {
  it("when a partition on [1, 2] is reassigned to [2, 3], then one record makes the replicas the union, target first, naming 3 as adding and 1 as removing, and leaves the ISR and leader", () => {
    const image = withTopic(clusterOf([1, 2, 3]), "orders", [[1, 2]]);
    const { errorCode, errorMessage, records } = reassign(image, [2, 3]);
    assert.equal(errorCode, ErrorCode.NONE);
    assert.equal(errorMessage, null);
    assert.deepEqual(records, [
      {
        type: "PartitionChangeRecord",
        version: 0,
        data: {
          partitionId: 0,
          topicId: orders,
          isr: null,
          leader: -2,
          replicas: [2, 3, 1],
          addingReplicas: [3],
          removingReplicas: [1],
        },
      },
    ]);
    const after = commit(image, records);
    assert.deepEqual(after.partition("orders", 0), {
      partition: 0,
      replicas: [2, 3, 1],
      isr: [1, 2],
      leader: 1,
      leaderEpoch: 0,
      partitionEpoch: 1,
      addingReplicas: [3],
      removingReplicas: [1],
    });
    const partition = after.partition("orders", 0)!;
    assert.equal(isReassigning(partition), true);
    assert.deepEqual(originalReplicas(partition), [2, 1]);
    assert.deepEqual(targetReplicas(partition), [2, 3]);
  });

  it("when the reassignment record is written to the metadata log and read back, then its replica fields survive", () => {
    const image = withTopic(clusterOf([1, 2, 3]), "orders", [[1, 2]]);
    const [record] = reassign(image, [2, 3]).records as MetadataRecord[];
    const decoded = decodeMetadataRecord(encodeMetadataRecord(record!));
    assert.equal(decoded.type, "PartitionChangeRecord");
    if (decoded.type !== "PartitionChangeRecord") return;
    assert.deepEqual(decoded.data.replicas, [2, 3, 1]);
    assert.deepEqual(decoded.data.addingReplicas, [3]);
    assert.deepEqual(decoded.data.removingReplicas, [1]);
  });

  it("when a plain ISR change record without the reassignment fields is replayed, then the replicas stay as they are", () => {
    const image = moving();
    const after = commit(image, [
      { type: "PartitionChangeRecord", version: 0, data: { partitionId: 0, topicId: orders, isr: [2], leader: 2 } },
    ]);
    const partition = after.partition("orders", 0)!;
    assert.deepEqual(partition.replicas, [2, 3, 1]);
    assert.deepEqual(partition.addingReplicas, [3]);
    assert.deepEqual(partition.removingReplicas, [1]);
  });

  it("when the target is wholly in the ISR already (a replica removed), then one record completes it at once and a leader outside the target hands over", () => {
    const image = withTopic(clusterOf([1, 2, 3]), "orders", [[1, 2, 3]]);
    const { errorCode, records } = reassign(image, [3, 2]);
    assert.equal(errorCode, ErrorCode.NONE);
    const after = commit(image, records);
    assert.deepEqual(after.partition("orders", 0), {
      partition: 0,
      replicas: [3, 2],
      isr: [2, 3],
      leader: 3,
      leaderEpoch: 1,
      partitionEpoch: 1,
    });
  });

  it("when the target is the partition's replicas as they are, then nothing is written", () => {
    const image = withTopic(clusterOf([1, 2, 3]), "orders", [[1, 2]]);
    const { errorCode, records } = reassign(image, [1, 2]);
    assert.equal(errorCode, ErrorCode.NONE);
    assert.deepEqual(records, []);
  });

  it("when a partition being moved gets a new target, then it is counted from the original replicas and a dropped added replica leaves the ISR", () => {
    const image = withTopic(clusterOf([1, 2, 3, 4]), "orders", [[1]]);
    let after = commit(image, reassign(image, [2, 3]).records);
    // 2 caught up and joined; 3 did not yet.
    after = leaderAsksIsr(after, [1, 2]).image;
    assert.deepEqual(after.partition("orders", 0)!.isr, [1, 2]);
    after = commit(after, reassign(after, [1, 4]).records);
    assert.deepEqual(after.partition("orders", 0), {
      partition: 0,
      replicas: [1, 4],
      isr: [1],
      leader: 1,
      leaderEpoch: 0,
      partitionEpoch: 3,
      addingReplicas: [4],
    });
  });
});

describe("completing a reassignment", () => {
  it("when the leader adds the new replica to the ISR, then the same record completes the reassignment: replicas the target, the ISR without the removed replica, adding and removing cleared, and the leader moves into the target", () => {
    const image = moving();
    const { image: after, result } = leaderAsksIsr(image, [1, 2, 3]);
    assert.equal(result.records.length, 1);
    assert.deepEqual(after.partition("orders", 0), {
      partition: 0,
      replicas: [2, 3],
      isr: [2, 3],
      leader: 2,
      leaderEpoch: 1,
      partitionEpoch: 2,
    });
    // The asking leader no longer leads: it must learn the new state from the metadata.
    assert.equal(result.response.topics[0]!.partitions[0]!.errorCode, ErrorCode.NEW_LEADER_ELECTED);
  });

  it("when the leader is in the target, then completion keeps it leading at its leader epoch and AlterPartition answers the final state", () => {
    const image = withTopic(clusterOf([1, 2, 3]), "orders", [{ replicas: [1, 2], isr: [1, 2], leader: 2 }]);
    const started = commit(image, reassign(image, [2, 3]).records);
    const { image: after, result } = leaderAsksIsr(started, [1, 2, 3]);
    assert.deepEqual(after.partition("orders", 0), {
      partition: 0,
      replicas: [2, 3],
      isr: [2, 3],
      leader: 2,
      leaderEpoch: 0,
      partitionEpoch: 2,
    });
    const answer = result.response.topics[0]!.partitions[0]!;
    assert.equal(answer.errorCode, ErrorCode.NONE);
    assert.deepEqual(answer.isr, [2, 3]);
    assert.equal(answer.partitionEpoch, 2);
  });

  it("when the ISR does not yet hold every target replica, then an ISR change leaves the reassignment in progress", () => {
    const image = withTopic(clusterOf([1, 2, 3, 4]), "orders", [[1, 2]]);
    const started = commit(image, reassign(image, [3, 4]).records);
    const { image: after } = leaderAsksIsr(started, [1, 2, 3]);
    const partition = after.partition("orders", 0)!;
    assert.deepEqual(partition.replicas, [3, 4, 1, 2]);
    assert.deepEqual(partition.isr, [1, 2, 3]);
    assert.equal(isReassigning(partition), true);
    assert.equal(
      completeReassignment(orders, partition, (id) => after.isActive(id)),
      null,
    );
  });
});

describe("reassignment records in the metadata log", () => {
  it("when the start and the completion are written to the log and read back, then replaying them moves the partition and clears adding and removing", () => {
    const image = withTopic(clusterOf([1, 2, 3]), "orders", [[1, 2]]);
    const roundTrip = (records: MetadataRecord[]) => records.map((r) => decodeMetadataRecord(encodeMetadataRecord(r)));
    const started = commit(image, roundTrip(reassign(image, [2, 3]).records));
    assert.deepEqual(started.partition("orders", 0)!.replicas, [2, 3, 1]);
    const completion = leaderAsksIsr(started, [1, 2, 3]).result.records;
    const after = commit(started, roundTrip(completion));
    assert.deepEqual(after.partition("orders", 0), {
      partition: 0,
      replicas: [2, 3],
      isr: [2, 3],
      leader: 2,
      leaderEpoch: 1,
      partitionEpoch: 2,
    });
  });
});

describe("cancelling a reassignment", () => {
  it("when a reassignment is cancelled, then the replicas revert to the original ones and adding and removing are cleared", () => {
    const image = moving();
    const { errorCode, records } = reassign(image, null);
    assert.equal(errorCode, ErrorCode.NONE);
    const after = commit(image, records);
    assert.deepEqual(after.partition("orders", 0), {
      partition: 0,
      replicas: [2, 1],
      isr: [1, 2],
      leader: 1,
      leaderEpoch: 0,
      partitionEpoch: 2,
    });
  });

  it("when a cancelled reassignment's added replica leads, then it leaves the ISR and an original replica leads", () => {
    const image = withTopic(clusterOf([1, 2, 3]), "orders", [[1]]);
    let after = commit(image, reassign(image, [1, 2]).records);
    after = commit(after, [
      { type: "PartitionChangeRecord", version: 0, data: { partitionId: 0, topicId: orders, isr: [1, 2], leader: 2 } },
    ]);
    // A partition being moved to [1, 2] with the ISR [1, 2] would be complete; force it in progress with a third target.
    after = commit(after, reassign(after, [1, 2, 3]).records);
    assert.equal(isReassigning(after.partition("orders", 0)!), true);
    after = commit(after, reassign(after, null).records);
    assert.deepEqual(after.partition("orders", 0), {
      partition: 0,
      replicas: [1],
      isr: [1],
      leader: 1,
      leaderEpoch: 2,
      partitionEpoch: 4,
    });
  });

  it("when no reassignment is in progress, then cancelling answers NO_REASSIGNMENT_IN_PROGRESS and writes nothing", () => {
    const image = withTopic(clusterOf([1, 2, 3]), "orders", [[1, 2]]);
    const { errorCode, records } = reassign(image, null);
    assert.equal(errorCode, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
    assert.deepEqual(records, []);
  });
});

describe("refused reassignments", () => {
  const image = withTopic(clusterOf([1, 2, 3]), "orders", [[1, 2]]);

  for (const [what, replicas, message] of [
    ["an empty replica list", [], /empty replica list/],
    ["a broker twice", [2, 2], /broker 2 more than once/],
    ["a broker that is not registered", [2, 7], /broker 7, but no such broker is registered/],
  ] as const) {
    it(`when the target names ${what}, then INVALID_REPLICA_ASSIGNMENT and nothing is written`, () => {
      const { errorCode, errorMessage, records } = reassign(image, [...replicas]);
      assert.equal(errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
      assert.match(errorMessage ?? "", message);
      assert.deepEqual(records, []);
    });
  }

  it("when the topic or the partition does not exist, then UNKNOWN_TOPIC_OR_PARTITION", () => {
    assert.equal(reassign(image, [2, 3], "nope").errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(reassign(image, [2, 3], "orders", 5).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it("when one partition of a request is refused, then the others are still reassigned, each answered in request order", () => {
    const two = withTopic(clusterOf([1, 2, 3]), "orders", [
      [1, 2],
      [1, 2],
    ]);
    const result = alterPartitionReassignments(two, [
      {
        name: "orders",
        partitions: [
          { partitionIndex: 0, replicas: [9] },
          { partitionIndex: 1, replicas: [2, 3] },
        ],
      },
    ]);
    assert.deepEqual(
      result.response[0]!.partitions.map((p) => [p.partitionIndex, p.errorCode]),
      [
        [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT],
        [1, ErrorCode.NONE],
      ],
    );
    assert.equal(result.records.length, 1);
  });
});

describe("listing reassignments", () => {
  it("when asked for every topic, then only the partitions being moved are listed, with their replicas, adding and removing", () => {
    let image = withTopic(clusterOf([1, 2, 3]), "orders", [
      [1, 2],
      [1, 2],
    ]);
    image = withTopic(image, "payments", [[1]]);
    image = commit(image, reassign(image, [2, 3], "orders", 1).records);
    const expected = [
      {
        name: "orders",
        partitions: [{ partitionIndex: 1, replicas: [2, 3, 1], addingReplicas: [3], removingReplicas: [1] }],
      },
    ];
    assert.deepEqual(listPartitionReassignments(image, null), expected);
    assert.deepEqual(
      listPartitionReassignments(image, [
        { name: "orders", partitionIndexes: [0, 1, 7] },
        { name: "payments", partitionIndexes: [0] },
        { name: "nope", partitionIndexes: [0] },
      ]),
      expected,
    );
  });

  it("when no partition is being moved, then the list is empty", () => {
    const image = withTopic(clusterOf([1, 2, 3]), "orders", [[1, 2]]);
    assert.deepEqual(listPartitionReassignments(image, null), []);
  });
});
