import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConsumerGroupMember, type TopicPartitionSet } from "../../../../broker/server/groups/consumer-group.ts";
import { reconcile } from "../../../../broker/server/groups/current-assignment-builder.ts";

const T = "ab".repeat(16);

function set(...partitions: number[]): TopicPartitionSet {
  return partitions.length === 0 ? new Map() : new Map([[T, new Set(partitions)]]);
}

function list(partitions: TopicPartitionSet): number[] {
  return [...(partitions.get(T) ?? [])].sort((a, b) => a - b);
}

function memberAt(
  epoch: number,
  assigned: number[],
  state: ConsumerGroupMember["state"] = "stable",
): ConsumerGroupMember {
  const member = new ConsumerGroupMember({
    memberId: "m",
    instanceId: null,
    rackId: null,
    clientId: "c",
    clientHost: "h",
  });
  member.memberEpoch = epoch;
  member.state = state;
  member.assignedPartitions = set(...assigned);
  return member;
}

const nobodyHolds = () => undefined;

describe("reconciling a member toward its target", () => {
  it("when the member is stable at the target epoch, then nothing changes", () => {
    const member = memberAt(3, [0, 1]);
    const next = reconcile({
      member,
      targetEpoch: 3,
      target: set(0, 1, 2),
      ownedPartitions: set(0, 1),
      holderOf: nobodyHolds,
    });
    assert.equal(next.memberEpoch, 3);
    assert.deepEqual(list(next.assignedPartitions), [0, 1]);
  });

  it("when the target only adds free partitions, then the member moves to the target epoch with them", () => {
    const member = memberAt(3, [0]);
    const next = reconcile({
      member,
      targetEpoch: 4,
      target: set(0, 1),
      ownedPartitions: set(0),
      holderOf: nobodyHolds,
    });
    assert.deepEqual([next.state, next.memberEpoch, list(next.assignedPartitions)], ["stable", 4, [0, 1]]);
  });

  it("when the target takes partitions away, then they are revoked first and the member keeps its epoch", () => {
    const member = memberAt(3, [0, 1, 2]);
    const next = reconcile({
      member,
      targetEpoch: 4,
      target: set(0, 3),
      ownedPartitions: set(0, 1, 2),
      holderOf: nobodyHolds,
    });
    assert.equal(next.state, "unrevoked_partitions");
    assert.equal(next.memberEpoch, 3);
    assert.deepEqual(list(next.assignedPartitions), [0]);
    assert.deepEqual(list(next.partitionsPendingRevocation), [1, 2]);
  });

  it("when the member still reports a partition it must revoke, then it stays where it is", () => {
    const member = memberAt(3, [0], "unrevoked_partitions");
    member.partitionsPendingRevocation = set(1);
    const next = reconcile({
      member,
      targetEpoch: 4,
      target: set(0, 3),
      ownedPartitions: set(0, 1),
      holderOf: nobodyHolds,
    });
    assert.equal(next.state, "unrevoked_partitions");
    assert.equal(next.memberEpoch, 3);
    const silent = reconcile({
      member,
      targetEpoch: 4,
      target: set(0, 3),
      ownedPartitions: null,
      holderOf: nobodyHolds,
    });
    assert.equal(silent.state, "unrevoked_partitions");
  });

  it("when the member has revoked, then it moves to the target epoch and gets the new partitions", () => {
    const member = memberAt(3, [0], "unrevoked_partitions");
    member.partitionsPendingRevocation = set(1);
    // The index still names this member as holder of 1 until the caller applies the result.
    const next = reconcile({
      member,
      targetEpoch: 4,
      target: set(0, 1, 3),
      ownedPartitions: set(0),
      holderOf: (_, partition) => (partition === 1 ? "m" : undefined),
    });
    assert.deepEqual([next.state, next.memberEpoch, list(next.assignedPartitions)], ["stable", 4, [0, 1, 3]]);
    assert.deepEqual(list(next.partitionsPendingRevocation), []);
  });

  it("when a partition of the target is still held by another member, then it is not given until released", () => {
    const member = memberAt(0, []);
    const held = (_: string, partition: number) => (partition === 2 ? "other" : undefined);
    const next = reconcile({ member, targetEpoch: 5, target: set(1, 2), ownedPartitions: set(), holderOf: held });
    assert.deepEqual([next.state, next.memberEpoch, list(next.assignedPartitions)], ["unreleased_partitions", 5, [1]]);
    const member2 = memberAt(5, [1], "unreleased_partitions");
    const released = reconcile({
      member: member2,
      targetEpoch: 5,
      target: set(1, 2),
      ownedPartitions: set(1),
      holderOf: nobodyHolds,
    });
    assert.deepEqual([released.state, released.memberEpoch, list(released.assignedPartitions)], ["stable", 5, [1, 2]]);
  });
});
