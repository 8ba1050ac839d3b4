import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GROUP_STATES, Group, type GroupMember, PendingResponse } from "../../../../broker/server/groups/group.ts";
import type { GroupState, MemberProtocol } from "../../../../broker/server/groups/types.ts";
import { consumerMember } from "./helpers.ts";

const protocols = (...names: string[]): MemberProtocol[] =>
  names.map((name) => ({ name, metadata: Buffer.from(`${name} metadata`) }));

function member(memberId: string, names: string[], rebalanceTimeoutMs = 10_000): GroupMember {
  return consumerMember(memberId, { protocols: protocols(...names), rebalanceTimeoutMs });
}

function groupOf(...members: GroupMember[]): Group {
  const group = new Group("g");
  for (const m of members) group.addMember(m);
  return group;
}

describe("Group state transitions", () => {
  it("when every transition is tried, then exactly Kafka's classic-group transitions are allowed", () => {
    const allowed: string[] = [];
    for (const from of GROUP_STATES) {
      for (const to of GROUP_STATES) {
        const group = new Group("g");
        group.state = from;
        try {
          group.transitionTo(to);
          allowed.push(`${from}->${to}`);
        } catch (error) {
          assert.match((error as Error).message, new RegExp(`group g: illegal transition ${from} -> ${to}`));
          assert.equal(group.state, from);
        }
      }
    }
    assert.deepEqual(allowed.sort(), [
      "CompletingRebalance->Dead",
      "CompletingRebalance->PreparingRebalance",
      "CompletingRebalance->Stable",
      "Dead->Dead",
      "Empty->Dead",
      "Empty->PreparingRebalance",
      "PreparingRebalance->CompletingRebalance",
      "PreparingRebalance->Dead",
      "PreparingRebalance->Empty",
      "Stable->Dead",
      "Stable->PreparingRebalance",
    ]);
  });

  it("when a group is new, then it is Empty at generation 0 without a leader", () => {
    const group = new Group("g");
    assert.deepEqual([group.state, group.generationId, group.leaderId] as [GroupState, number, null], [
      "Empty",
      0,
      null,
    ]);
  });
});

describe("Group members", () => {
  it("when members join, then the first becomes leader and sets the protocol type; when the leader leaves, then the next in join order leads", () => {
    const group = groupOf(member("a", ["range"]), member("b", ["range"]), member("c", ["range"]));
    assert.equal(group.leaderId, "a");
    assert.equal(group.protocolType, "consumer");
    group.removeMember("b");
    assert.equal(group.leaderId, "a");
    group.removeMember("a");
    assert.equal(group.leaderId, "c");
    group.removeMember("c");
    assert.equal(group.leaderId, null);
    assert.equal(group.protocolType, "consumer", "kept after the last member left");
  });

  it("when members ask for different rebalance timeouts, then the group waits the longest", () => {
    assert.equal(groupOf(member("a", ["range"], 5_000), member("b", ["range"], 30_000)).rebalanceTimeoutMs(), 30_000);
    assert.equal(new Group("g").rebalanceTimeoutMs(), 0);
  });

  it("when some member has not rejoined or an id handed out is unused, then not all members rejoined", () => {
    const a = member("a", ["range"]);
    const b = member("b", ["range"]);
    const group = groupOf(a, b);
    a.awaitingJoin = new PendingResponse();
    assert.equal(group.allMembersRejoined(), false);
    b.awaitingJoin = new PendingResponse();
    assert.equal(group.allMembersRejoined(), true);
    group.pendingMemberTimers.set("c", { cancel() {} });
    assert.equal(group.allMembersRejoined(), false);
  });

  it("when a member is parked on a join or a sync, then it counts as parked", () => {
    const a = member("a", ["range"]);
    assert.equal(a.isParked, false);
    a.awaitingSync = new PendingResponse();
    assert.equal(a.isParked, true);
  });

  it("when a parked response is answered, then its promise resolves with the answer", async () => {
    const pending = new PendingResponse<string>();
    pending.answer("joined");
    assert.equal(await pending.promise, "joined");
  });
});

describe("Group protocols", () => {
  it("when members share some protocols, then the common ones are those all support, the joining member left out", () => {
    const group = groupOf(member("a", ["range", "roundrobin", "sticky"]), member("b", ["sticky", "range"]));
    assert.deepEqual([...group.commonProtocols()!].sort(), ["range", "sticky"]);
    assert.deepEqual([...group.commonProtocols("b")!].sort(), ["range", "roundrobin", "sticky"]);
    assert.equal(new Group("g").commonProtocols(), null);
  });

  it("when a member would join, then it is accepted only with the group's type and a protocol the others share", () => {
    const group = groupOf(member("a", ["range", "roundrobin"]));
    assert.equal(group.acceptsProtocols("consumer", protocols("roundrobin"), "new"), true);
    assert.equal(group.acceptsProtocols("consumer", protocols("sticky"), "new"), false);
    assert.equal(group.acceptsProtocols("connect", protocols("range"), "new"), false);
    assert.equal(group.acceptsProtocols("", protocols("range"), "new"), false);
    assert.equal(group.acceptsProtocols("consumer", [], "new"), false);
    // The only member may change its protocols at will.
    assert.equal(group.acceptsProtocols("consumer", protocols("sticky"), "a"), true);
  });

  it("when the protocol is chosen, then each member votes for its favourite among the common ones and the most votes win", () => {
    const group = groupOf(
      member("a", ["range", "roundrobin"]),
      member("b", ["roundrobin", "range"]),
      member("c", ["roundrobin", "range"]),
    );
    assert.equal(group.selectProtocol(), "roundrobin");
  });

  it("when votes tie, then the first member's order decides", () => {
    const group = groupOf(member("a", ["range", "roundrobin"]), member("b", ["roundrobin", "range"]));
    assert.equal(group.selectProtocol(), "range");
  });

  it("when no protocol is common to all members, then choosing one is a bug and throws", () => {
    const group = groupOf(member("a", ["range"]), member("b", ["sticky"]));
    assert.throws(() => group.selectProtocol(), /no protocol common to all members/);
  });

  it("when a member's metadata is asked for, then that protocol's bytes; for a protocol it lacks, a bug that throws", () => {
    const a = member("a", ["range", "roundrobin"]);
    assert.equal(a.metadataFor("roundrobin").toString(), "roundrobin metadata");
    assert.throws(() => a.metadataFor("sticky"), /member a does not support sticky/);
    assert.equal(a.hasSameProtocols(protocols("range", "roundrobin")), true);
    assert.equal(a.hasSameProtocols(protocols("roundrobin", "range")), false);
    assert.equal(a.favouriteAmong(new Set(["roundrobin", "sticky"])), "roundrobin");
    assert.equal(a.favouriteAmong(new Set(["sticky"])), undefined);
  });
});
