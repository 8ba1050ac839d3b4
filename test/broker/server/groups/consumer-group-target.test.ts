import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConsumerGroup, ConsumerGroupMember, topicIdKey } from "../../../../broker/server/groups/consumer-group.ts";
import { rangeAssignor, uniformAssignor } from "../../../../broker/server/groups/consumer-group-assignors.ts";
import { ConsumerGroupTargets, compileTopicRegex } from "../../../../broker/server/groups/consumer-group-target.ts";
import { topic } from "./consumer-helpers.ts";

function memberOf(group: ConsumerGroup, memberId: string, names: string[], regex: string | null = null) {
  const member = new ConsumerGroupMember({ memberId, instanceId: null, rackId: null, clientId: "c", clientHost: "h" });
  member.subscribedTopicNames = names;
  member.subscribedTopicRegex = regex;
  group.addMember(member);
  return member;
}

describe("a consumer-protocol group's target assignment", () => {
  it("when a regex is given, then it must match whole topic names, and one that does not compile is refused", () => {
    assert.equal(compileTopicRegex("orders-.*")?.test("orders-eu"), true);
    assert.equal(compileTopicRegex("orders")?.test("orders-eu"), false);
    assert.equal(compileTopicRegex("orders-(")?.source, undefined);
  });

  it("when members subscribe by name and regex, then the group's topics are the existing ones they name, internal ones only by name", () => {
    const cluster = [
      topic("orders-eu", 2, 1),
      topic("sales", 1, 2),
      { ...topic("__consumer_offsets", 5, 3), isInternal: true },
    ];
    const targets = new ConsumerGroupTargets([uniformAssignor], () => cluster);
    const group = new ConsumerGroup("g");
    memberOf(group, "a", ["sales", "missing"]);
    memberOf(group, "b", [], ".*");
    assert.equal(targets.refreshSubscribedTopics(group), true);
    assert.deepEqual([...group.subscribedTopics.keys()].sort(), ["orders-eu", "sales"]);
    assert.equal(targets.refreshSubscribedTopics(group), false, "nothing changed since");
    cluster[0] = topic("orders-eu", 3, 1);
    assert.equal(targets.refreshSubscribedTopics(group), true, "a partition was added");
  });

  it("when the target is computed, then it is for the group epoch, by the assignor most members name", () => {
    const targets = new ConsumerGroupTargets([uniformAssignor, rangeAssignor], () => [topic("orders", 4, 1)]);
    const group = new ConsumerGroup("g");
    memberOf(group, "b", ["orders"]).serverAssignor = "range";
    memberOf(group, "a", ["orders"]);
    group.groupEpoch = 3;
    targets.refreshSubscribedTopics(group);
    targets.computeTargetAssignment(group);
    assert.deepEqual([group.assignmentEpoch, group.assignorName], [3, "range"]);
    const id = topicIdKey(topic("orders", 4, 1).topicId);
    assert.deepEqual([...group.targetAssignment.get("a")!.get(id)!], [0, 1]);
    assert.deepEqual([...group.targetAssignment.get("b")!.get(id)!], [2, 3]);
  });
});
