// Group lag from the coordinators' readings, sampled once a second: lag in records against the
// leader's high watermark, in seconds from the timestamp of the record at the committed offset, the
// commit rate and the time to catch up from it, and the lag history for the chart.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BrokerReading } from "../../../apps/console/admin-poller.ts";
import { GroupLag } from "../../../apps/console/group-lag.ts";
import type { CoordinatedGroup, HostedPartition } from "../../../broker/server/admin/admin-types.ts";

function partition(p: number, highWatermark: string): HostedPartition {
  return {
    topic: "t",
    partition: p,
    role: "leader",
    leader: 0,
    leaderEpoch: 0,
    replicas: [0],
    isr: [0],
    logStartOffset: "0",
    logEndOffset: highWatermark,
    highWatermark,
    segments: 1,
    bytes: 0,
    configs: {},
  };
}

function group(generation: number, committed: Record<string, string>, members = 1): CoordinatedGroup {
  return {
    groupId: "g",
    protocol: "classic",
    state: "Stable",
    generation,
    assignor: "roundrobin",
    members: Array.from({ length: members }, (_, i) => ({
      memberId: `m${i}`,
      clientId: "c",
      clientHost: "127.0.0.1",
      instanceId: null,
      assignment: (i === 0 ? { t: [0, 1] } : {}) as Record<string, number[]>,
    })),
    offsets: { t: committed },
  };
}

function readings(highWatermarks: [string, string], groups: CoordinatedGroup[][]): BrokerReading[] {
  return groups.map((coordinated, nodeId) => ({
    broker: { nodeId, label: null, listener: "l", admin: "a" },
    at: 0,
    answered: true,
    info: null,
    partitions: nodeId === 0 ? [partition(0, highWatermarks[0]), partition(1, highWatermarks[1])] : [],
    groups: coordinated,
    quorum: null,
  }));
}

describe("GroupLag", () => {
  it("when offsets are committed each second, then lag, age, rate and catch-up time follow, and the history grows", async () => {
    let now = 100_000;
    const asked: string[] = [];
    const lag = new GroupLag(
      async (topic, p, offset) => {
        asked.push(`${topic}-${p}@${offset}`);
        return now - 30_000 + Number(offset);
      },
      { now: () => now },
    );
    await lag.sample(readings(["100", "5"], [[group(1, { "0": "40", "1": "5" })]]));
    now += 1000;
    await lag.sample(readings(["110", "5"], [[group(1, { "0": "60", "1": "5" })]]));
    now += 1000;
    const [view] = await lag.sample(readings(["120", "5"], [[group(1, { "0": "80", "1": "5" })]]));
    assert.equal(view?.groupId, "g");
    assert.equal(view.coordinator, 0);
    const [p0, p1] = view.partitions;
    assert.deepEqual(p0, {
      topic: "t",
      partition: 0,
      owner: "m0",
      committed: "80",
      highWatermark: "120",
      lag: 40,
      lagSeconds: (30_000 - 80) / 1000,
      ratePerSec: 20,
      catchUpSeconds: 2,
    });
    assert.deepEqual(p1, {
      topic: "t",
      partition: 1,
      owner: "m0",
      committed: "5",
      highWatermark: "5",
      lag: 0,
      lagSeconds: 0,
      ratePerSec: 0,
      catchUpSeconds: 0,
    });
    assert.equal(view.totalLag, 40);
    assert.deepEqual(
      view.lagHistory.map((h) => h.lag),
      [60, 50, 40],
    );
    // A partition caught up needs no record read; each lagging offset is read once.
    assert.deepEqual(asked, ["t-0@40", "t-0@60", "t-0@80"]);
  });

  it("when two brokers report the group (a coordinator moved), then the newest generation wins", async () => {
    const lag = new GroupLag(async () => null);
    const [view] = await lag.sample(readings(["10", "10"], [[group(1, { "0": "1" })], [group(2, { "0": "9" }, 2)]]));
    assert.equal(view?.coordinator, 1);
    assert.equal(view.generation, 2);
    assert.equal(view.members.length, 2);
    assert.equal(view.partitions[0]?.lag, 1);
    // The record's timestamp could not be read: the age is unknown, not zero.
    assert.equal(view.partitions[0]?.lagSeconds, null);
    assert.equal(view.partitions[0]?.catchUpSeconds, null);
  });

  it("when history is older than its window, then it is dropped", async () => {
    let now = 0;
    const lag = new GroupLag(async () => 0, { now: () => now, historyMs: 2_000 });
    for (let i = 0; i < 5; i++, now += 1000) await lag.sample(readings(["1", "1"], [[group(1, {})]]));
    assert.deepEqual(
      lag.historyOf("g").map((h) => h.time),
      [2000, 3000, 4000],
    );
  });
});
