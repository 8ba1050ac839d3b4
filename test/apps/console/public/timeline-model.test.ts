import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import type { ClusterEvent } from "../../../../broker/server/admin/cluster-events.ts";

// The page's modules are plain browser ES modules (no build step, no types): loaded as the browser does.
const modelUrl = pathToFileURL(new URL("../../../../apps/console/public/timeline-model.js", import.meta.url).pathname);
const { buildGroupTimeline } = await import(modelUrl.href);

interface Segment {
  start: number;
  end: number | null;
  parts: string[];
}
interface Lane {
  key: string;
  memberId: string;
  clientId: string;
  presence: Array<{ start: number; end: number | null }>;
  segments: Segment[];
  markers: Array<{ n: number; event: ClusterEvent }>;
  owned: string[];
  present: boolean;
}
interface Timeline {
  lanes: Lane[];
  rebalances: Array<{ start: number; end: number | null; cause: string }>;
  changes: Array<{ n: number; event: ClusterEvent; lane: string | null }>;
  parts: string[];
}
const build = (events: Partial<ClusterEvent>[], current?: unknown, since = 0): Timeline =>
  buildGroupTimeline("ledger", events, current, since);

let sequence = 0;
const event = (
  time: number,
  kind: ClusterEvent["kind"],
  fields: Partial<ClusterEvent> = {},
): Partial<ClusterEvent> => ({
  id: `0-${++sequence}`,
  broker: 0,
  time,
  kind,
  group: "ledger",
  protocol: "classic",
  cause: `${kind} at ${time}`,
  ...fields,
});
const member = (memberId: string, partitions: number[], instanceId?: string) => ({
  memberId,
  clientId: memberId.split("-")[0]!,
  instanceId,
  assignment: { "points.commands": partitions },
});
const laneOf = (timeline: Timeline, key: string) => {
  const lane = timeline.lanes.find((each) => each.key === key);
  assert.ok(lane, `no lane ${key} in ${timeline.lanes.map((each) => each.key).join(", ")}`);
  return lane;
};
const ownedAt = (lane: Lane, time: number) =>
  lane.segments.find((s) => s.start <= time && (s.end === null || time < s.end))?.parts ?? [];

describe("the rebalance timeline's model", () => {
  it("when a member is removed for a session timeout, then its lane ends there with that cause and the others take its partitions", () => {
    const timeline = build([
      event(1000, "member-joined", { memberId: "a-1", clientId: "a" }),
      event(1000, "member-joined", { memberId: "b-1", clientId: "b" }),
      event(1100, "rebalance-completed", { generation: 1, members: [member("a-1", [0, 2]), member("b-1", [1, 3])] }),
      event(5000, "member-removed", {
        memberId: "b-1",
        clientId: "b",
        cause: "session timeout (10000 ms without a heartbeat)",
      }),
      event(5000, "rebalance-started", { cause: "session timeout of b-1" }),
      event(5200, "rebalance-completed", { generation: 2, members: [member("a-1", [0, 1, 2, 3])] }),
    ]);
    const b = laneOf(timeline, "b-1");
    assert.deepEqual(b.presence, [{ start: 1000, end: 5000 }]);
    assert.deepEqual(ownedAt(b, 2000), ["points.commands:1", "points.commands:3"]);
    assert.equal(b.present, false);
    assert.deepEqual(
      b.markers.map((m) => [m.event.kind, m.event.cause]),
      [
        ["member-joined", "member-joined at 1000"],
        ["member-removed", "session timeout (10000 ms without a heartbeat)"],
      ],
    );
    const a = laneOf(timeline, "a-1");
    assert.deepEqual(a.owned, ["points.commands:0", "points.commands:1", "points.commands:2", "points.commands:3"]);
    assert.deepEqual(timeline.rebalances.at(-1), {
      start: 5000,
      end: 5200,
      cause: "session timeout of b-1",
      generation: 2,
    });
  });

  it("when an eager classic group rebalances, then no member owns anything until the rebalance completes; with a cooperative assignor, they keep theirs", () => {
    const events = [
      event(1000, "rebalance-completed", { generation: 1, members: [member("a-1", [0, 1])] }),
      event(3000, "member-joined", { memberId: "b-1", clientId: "b" }),
      event(3000, "rebalance-started", { cause: "member b-1 joined" }),
      event(3500, "rebalance-completed", { generation: 2, members: [member("a-1", [0]), member("b-1", [1])] }),
    ];
    const eager = laneOf(build(events, { protocol: "classic", assignor: "RoundRobinAssigner", members: [] }), "a-1");
    assert.deepEqual(ownedAt(eager, 3200), []);
    assert.deepEqual(eager.presence, [{ start: 1000, end: null }], "still a member while not consuming");
    assert.deepEqual(ownedAt(eager, 3600), ["points.commands:0"]);

    const cooperative = laneOf(
      build(events, { protocol: "classic", assignor: "cooperative-sticky", members: [] }),
      "a-1",
    );
    assert.deepEqual(ownedAt(cooperative, 3200), ["points.commands:0", "points.commands:1"]);
  });

  it("when a static member rejoins under a new member id, then it keeps its lane", () => {
    const timeline = build([
      event(1000, "rebalance-completed", { generation: 1, members: [member("a-1", [0, 1], "pos-a")] }),
      event(2000, "member-left", { memberId: "a-1", instanceId: "pos-a", clientId: "a" }),
      event(4000, "static-member-rejoined", { memberId: "a-2", instanceId: "pos-a", clientId: "a" }),
      event(4100, "rebalance-completed", { generation: 2, members: [member("a-2", [0, 1], "pos-a")] }),
    ]);
    assert.equal(timeline.lanes.length, 1);
    const lane = laneOf(timeline, "pos-a");
    assert.equal(lane.memberId, "a-2");
    assert.deepEqual(lane.presence, [
      { start: 1000, end: 2000 },
      { start: 4000, end: null },
    ]);
  });

  it("when a KIP-848 member is assigned and then revoked partitions, then its lane owns exactly what is left", () => {
    const timeline = build([
      event(1000, "member-joined", { protocol: "consumer", memberId: "m", clientId: "c" }),
      event(1100, "partitions-assigned", { protocol: "consumer", memberId: "m", assignment: { t: [0, 1, 2] } }),
      event(3000, "partitions-revoked", { protocol: "consumer", memberId: "m", assignment: { t: [1] } }),
    ]);
    const lane = laneOf(timeline, "m");
    assert.deepEqual(ownedAt(lane, 2000), ["t:0", "t:1", "t:2"]);
    assert.deepEqual(lane.owned, ["t:0", "t:2"]);
    assert.deepEqual(timeline.parts, ["t:0", "t:1", "t:2"]);
  });

  it("when a classic generation no longer lists a member, then that member's lane ends there", () => {
    const timeline = build([
      event(1000, "rebalance-completed", { generation: 1, members: [member("a-1", [0]), member("b-1", [1])] }),
      event(3000, "rebalance-completed", { generation: 1, members: [member("a-1", [0, 1])] }),
    ]);
    assert.deepEqual(laneOf(timeline, "b-1").presence, [{ start: 1000, end: 3000 }]);
  });

  it("when a member joined before the kept history, then its lane comes from the group's current state", () => {
    const current = {
      protocol: "classic",
      assignor: "range",
      members: [member("old-1", [0, 1])],
      partitions: [0, 1, 2].map((partition) => ({ topic: "points.commands", partition })),
    };
    const timeline = build([], current);
    const lane = laneOf(timeline, "old-1");
    assert.equal(lane.present, true);
    assert.deepEqual(lane.owned, ["points.commands:0", "points.commands:1"]);
    assert.deepEqual(timeline.parts, ["points.commands:0", "points.commands:1", "points.commands:2"]);
  });

  it("when changes happen before the shown window, then they count for the state but are not numbered", () => {
    const timeline = build(
      [
        event(1000, "rebalance-completed", { generation: 1, members: [member("a-1", [0])] }),
        event(9000, "member-left", { memberId: "a-1", clientId: "a" }),
      ],
      undefined,
      5000,
    );
    assert.deepEqual(
      timeline.changes.map((c) => [c.n, c.event.kind, c.lane]),
      [[1, "member-left", "a-1"]],
    );
    assert.deepEqual(laneOf(timeline, "a-1").presence, [{ start: 1000, end: 9000 }]);
  });
});
