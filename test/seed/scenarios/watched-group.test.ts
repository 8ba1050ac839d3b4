import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ScenarioSystem } from "../../../seed/scenarios/scenario.ts";
import { kafkaOn } from "../../../seed/scenarios/toolkit.ts";
import { groupEvents, joinWhileSlow, Traffic, userId, WatchedGroup } from "../../../seed/scenarios/watched-group.ts";
import { type BrokerProcess, startBroker } from "../../helpers/broker-process.ts";
import { waitFor } from "../../helpers/wait.ts";

const TOPIC = "points.commands";

describe("watched group", () => {
  let broker: BrokerProcess;
  let system: ScenarioSystem;
  let traffic: Traffic;
  const groups: WatchedGroup[] = [];

  before(async () => {
    broker = await startBroker({ adminPort: 0 });
    // Only what the watched group uses of a scenario's system.
    system = { bootstrap: [broker.address], adminUrls: [broker.adminUrl!] } as ScenarioSystem;
    const admin = kafkaOn(system, "test-admin").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    traffic = new Traffic(system, TOPIC, 8, 10);
    await traffic.start();
  });

  after(async () => {
    for (const group of groups) await group.stopAll();
    await traffic?.stop();
    await broker?.cleanup();
  });

  const watch = (groupId: string): WatchedGroup => {
    const group = new WatchedGroup({ system, groupId, topic: TOPIC });
    groups.push(group);
    return group;
  };

  it("when the traffic runs, then it records where each command landed, keyed by the demo's user ids", async () => {
    await waitFor(() => traffic.sent.length >= 10);
    assert.ok(traffic.sent.every((s) => s.partition === 0 || s.partition === 1));
    assert.ok(traffic.sent.every((s) => /^user-000[1-8]$/.test(s.key) && /^\d+$/.test(s.offset)));
    assert.equal(userId(12), "user-0012");
  });

  it("when two members share the topic, then their partitions, generations and handled records are recorded, and the broker's events name the group", async () => {
    const group = watch("watched-two");
    const one = await group.start("member-1");
    const two = await group.start("member-2");
    await waitFor(() => one.owned().length === 1 && two.owned().length === 1, { message: () => group.describe() });
    await waitFor(() => ["member-1", "member-2"].every((m) => group.handled.some((h) => h.member === m)));
    assert.deepEqual([...one.owned(), ...two.owned()].sort(), [0, 1]);
    assert.equal(one.generation(), two.generation());
    assert.deepEqual(group.ownedByOthers("member-1"), two.owned());
    const lastAssigned = group.changes.filter((c) => c.member === "member-2" && c.kind === "assigned").at(-1);
    assert.deepEqual(lastAssigned?.partitions, two.owned());
    const recent = group.handledBy("member-2", lastAssigned!.at, Date.now());
    assert.ok(recent.every((h) => two.owned().includes(h.partition)));
    const events = await groupEvents(broker.adminUrl!, "watched-two");
    assert.ok(events.some((e) => e.kind === "member-joined" && e.clientId === "member-2"));
  });

  it("when a member is slow while a newcomer joins, then joinWhileSlow holds its call until the condition holds and the member goes on afterwards", async () => {
    const group = watch("watched-slow");
    await group.start("member-1");
    const slow = await group.start("member-2");
    await waitFor(() => slow.owned().length === 1 && group.member("member-1").owned().length === 1);
    let asked = 0;
    const join = await joinWhileSlow(group, slow, { name: "member-3" }, () => ++asked >= 3);
    assert.equal(join.conditionMet, true);
    assert.equal(join.stuck.member, "member-2");
    assert.ok(join.joinedAt >= join.stuck.at && join.releasedAt >= join.joinedAt);
    await waitFor(() => group.handled.some((h) => h.member !== "member-3" && h.at > join.releasedAt));
  });

  it("when the condition never holds, then joinWhileSlow lets the call go after its timeout and says so", async () => {
    const group = watch("watched-timeout");
    const slow = await group.start("member-1");
    await waitFor(() => slow.owned().length === 2);
    const join = await joinWhileSlow(group, slow, { name: "member-2" }, () => false, 300);
    assert.equal(join.conditionMet, false);
    await waitFor(() => group.handled.some((h) => h.at > join.releasedAt));
  });
});
