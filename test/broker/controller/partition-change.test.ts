import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildPartitionChange, type PartitionChangeRequest } from "../../../broker/controller/partition-change.ts";
import {
  NO_LEADER,
  NO_LEADER_CHANGE,
  type PartitionRegistration,
} from "../../../broker/server/metadata/metadata-image.ts";

const topicId = Buffer.alloc(16, 1);

function partition(replicas: number[], isr: number[], leader: number): PartitionRegistration {
  return { partition: 0, replicas, isr, leader, leaderEpoch: 5, partitionEpoch: 9 };
}

function change(request: Omit<PartitionChangeRequest, "topicId">) {
  const built = buildPartitionChange({ topicId, ...request });
  return built && { isr: built.record.data.isr, leader: built.record.data.leader, unclean: built.unclean };
}

const alive =
  (...ids: number[]) =>
  (id: number) =>
    ids.includes(id);

describe("buildPartitionChange", () => {
  it("when the leader may still lead and the ISR is unchanged, then there is no change", () => {
    assert.equal(change({ partition: partition([1, 2, 3], [1, 2, 3], 1), isAcceptableLeader: alive(1, 2, 3) }), null);
  });

  it("when the leader may no longer lead, then the first other ISR member in replica order leads", () => {
    assert.deepEqual(
      change({ partition: partition([1, 2, 3], [3, 2, 1], 1), targetIsr: [3, 2], isAcceptableLeader: alive(2, 3) }),
      { isr: [3, 2], leader: 2, unclean: false },
    );
  });

  it("when the ISR only shrinks around a valid leader, then only the ISR changes", () => {
    assert.deepEqual(
      change({ partition: partition([1, 2, 3], [1, 2, 3], 1), targetIsr: [1, 3], isAcceptableLeader: alive(1, 2, 3) }),
      { isr: [1, 3], leader: NO_LEADER_CHANGE, unclean: false },
    );
  });

  it("when the ISR would become empty, then it keeps its last member and the partition loses its leader", () => {
    assert.deepEqual(change({ partition: partition([1, 2], [1], 1), targetIsr: [], isAcceptableLeader: alive(2) }), {
      isr: null,
      leader: NO_LEADER,
      unclean: false,
    });
  });

  it("when no ISR member may lead and the election is unclean, then a live replica outside the ISR leads alone", () => {
    assert.deepEqual(
      change({
        partition: partition([1, 2, 3], [1], 1),
        targetIsr: [],
        isAcceptableLeader: alive(3),
        election: "unclean",
      }),
      { isr: [3], leader: 3, unclean: true },
    );
  });

  it("when an unclean election has no live replica either, then the partition has no leader", () => {
    assert.deepEqual(
      change({ partition: partition([1, 2], [1], 1), targetIsr: [], isAcceptableLeader: alive(), election: "unclean" }),
      { isr: null, leader: NO_LEADER, unclean: false },
    );
  });

  it("when a preferred election finds the first replica in sync and alive, then it leads; else a valid leader stays", () => {
    assert.deepEqual(
      change({ partition: partition([1, 2], [1, 2], 2), isAcceptableLeader: alive(1, 2), election: "preferred" }),
      { isr: null, leader: 1, unclean: false },
    );
    assert.equal(
      change({ partition: partition([1, 2], [2], 2), isAcceptableLeader: alive(1, 2), election: "preferred" }),
      null,
    );
    assert.deepEqual(
      change({
        partition: partition([1, 2, 3], [2, 3], NO_LEADER),
        isAcceptableLeader: alive(3),
        election: "preferred",
      }),
      { isr: null, leader: 3, unclean: false },
    );
  });

  it("when a leaderless partition's ISR member comes back, then an online election makes it leader", () => {
    assert.deepEqual(change({ partition: partition([1, 2], [1], NO_LEADER), isAcceptableLeader: alive(1) }), {
      isr: null,
      leader: 1,
      unclean: false,
    });
  });
});
