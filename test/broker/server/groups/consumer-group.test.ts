import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ConsumerGroup,
  ConsumerGroupMember,
  isSubsetOf,
  partitionsFromWire,
  partitionsToWire,
  samePartitions,
  topicIdKey,
} from "../../../../broker/server/groups/consumer-group.ts";

const ID = Buffer.alloc(16, 7);
const KEY = topicIdKey(ID);

function member(memberId: string): ConsumerGroupMember {
  return new ConsumerGroupMember({ memberId, instanceId: null, rackId: null, clientId: "c", clientHost: "h" });
}

describe("a consumer-protocol group's state", () => {
  it("when partitions come from the wire, then they are keyed by topic id and go back sorted, empty topics dropped", () => {
    const set = partitionsFromWire([
      { topicId: ID, partitions: [3, 1] },
      { topicId: Buffer.alloc(16, 9), partitions: [] },
    ]);
    assert.deepEqual([...set.keys()], [KEY]);
    assert.deepEqual(partitionsToWire(set), [{ topicId: ID, partitions: [1, 3] }]);
    assert.equal(samePartitions(set, partitionsFromWire([{ topicId: ID, partitions: [1, 3] }])), true);
    assert.equal(isSubsetOf(partitionsFromWire([{ topicId: ID, partitions: [3] }]), set), true);
    assert.equal(isSubsetOf(partitionsFromWire([{ topicId: ID, partitions: [2] }]), set), false);
  });

  it("when members hold partitions, then the holder index follows their assignments and departures", () => {
    const group = new ConsumerGroup("g");
    const a = member("a");
    group.addMember(a);
    group.updateHoldings(a, new Map([[KEY, new Set([0])]]), new Map([[KEY, new Set([1])]]));
    assert.equal(group.holderOf(KEY, 0), "a");
    assert.equal(group.holderOf(KEY, 1), "a");
    group.updateHoldings(a, new Map([[KEY, new Set([0])]]), new Map());
    assert.equal(group.holderOf(KEY, 1), undefined);
    group.removeMember("a");
    assert.equal(group.holderOf(KEY, 0), undefined);
  });

  it("when members and epochs change, then the state says Empty, Assigning, Reconciling or Stable as Kafka's", () => {
    const group = new ConsumerGroup("g");
    assert.equal(group.state, "Empty");
    const a = member("a");
    group.addMember(a);
    group.groupEpoch = 1;
    assert.equal(group.state, "Assigning");
    group.assignmentEpoch = 1;
    assert.equal(group.state, "Reconciling");
    a.memberEpoch = 1;
    assert.equal(group.state, "Stable");
    a.state = "unrevoked_partitions";
    assert.equal(group.state, "Reconciling");
  });
});
