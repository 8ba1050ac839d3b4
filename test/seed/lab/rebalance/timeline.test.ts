// The timeline's arithmetic on hand-built event logs: ownership intervals from assignment lines
// and process runs, gaps classified, stop-the-world computed exactly.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AssignmentLine, EventLine } from "../../../../apps/ledger/event-log.ts";
import {
  currentlyOwned,
  type MemberHistory,
  type MemberRun,
  ownershipIntervals,
  rebalanceFigures,
  unionMs,
} from "../../../../seed/lab/rebalance/timeline.ts";

const line = (at: number, assigned: number[], revoked: number[], reason = "rebalance"): AssignmentLine => ({
  event: "assignment",
  at,
  member: "id",
  instance: null,
  generation: 1,
  protocol: "EAGER",
  reason,
  assigned,
  revoked,
});
const redelivered = (at: number, count: number): EventLine => ({
  event: "redelivered",
  at,
  member: "id",
  instance: null,
  count,
});
const member = (name: string, lines: EventLine[], runs: MemberRun[] = [{ startedAt: 0 }]): MemberHistory => ({
  member: name,
  runs,
  lines,
});

describe("rebalance timeline", () => {
  it("when an eager rebalance revokes everything and hands most back to the same owners, then only those partitions' gaps are stop-the-world, exactly", () => {
    // a owns 0,1; b owns 2,3. At 1000 both revoke all; at 1300 a gets 0 back and 1 goes to c,
    // at 1500 b gets 2 and 3 back.
    const input = {
      from: 0,
      to: 5000,
      members: [
        member("a", [line(0, [0, 1], [], "join"), line(1000, [], [0, 1]), line(1300, [0], [])]),
        member("b", [line(0, [2, 3], [], "join"), line(1100, [], [2, 3]), line(1500, [2, 3], [])]),
        member("c", [line(1300, [1], [], "join")], [{ startedAt: 900 }]),
      ],
    };
    const { figures, gaps } = rebalanceFigures(input);
    assert.deepEqual(
      gaps.map((g) => [g.partition, g.from, g.to, g.kind]),
      [
        [0, 1000, 1300, "stop-the-world"],
        [1, 1000, 1300, "move"],
        [2, 1100, 1500, "stop-the-world"],
        [3, 1100, 1500, "stop-the-world"],
      ],
    );
    // Wall time: [1000, 1500] at least one stalled; summed: 300 + 400 + 400.
    assert.equal(figures.stopTheWorldMs, 500);
    assert.equal(figures.stalledPartitionMs, 1100);
    assert.equal(figures.unownedPartitionMs, 1400);
    assert.equal(figures.moves, 1);
    // Paused: a's partition 1 too, taken from a while it kept running: [1000, 1300] for a.
    assert.equal(figures.pausedMs, 500);
    assert.equal(figures.pausedPartitionMs, 1400);
    assert.deepEqual(figures.perMember.a, {
      stopTheWorldMs: 300,
      pausedMs: 300,
      stalledPartitionMs: 300,
      movesIn: 0,
      movesOut: 1,
      redelivered: 0,
    });
    assert.deepEqual(figures.perMember.b, {
      stopTheWorldMs: 400,
      pausedMs: 400,
      stalledPartitionMs: 800,
      movesIn: 0,
      movesOut: 0,
      redelivered: 0,
    });
    assert.equal(figures.perMember.c!.movesIn, 1);
  });

  it("when a cooperative rebalance revokes only the partition that moves, then nothing stalls and the move is counted", () => {
    const input = {
      from: 0,
      to: 3000,
      members: [
        member("a", [line(0, [0, 1], [], "join"), line(1000, [], [1])]),
        member("c", [line(1200, [1], [], "join")], [{ startedAt: 500 }]),
      ],
    };
    const { figures, gaps } = rebalanceFigures(input);
    assert.deepEqual(
      gaps.map((g) => [g.partition, g.kind, g.before, g.after]),
      [[1, "move", "a", "c"]],
    );
    assert.equal(figures.stopTheWorldMs, 0);
    assert.equal(figures.stalledPartitionMs, 0);
    // The moving partition paused while a kept running: [1000, 1200].
    assert.equal(figures.pausedMs, 200);
    assert.equal(figures.moves, 1);
  });

  it("when a member crashes, then its intervals end with its process, and the partitions' wait for a new owner is a move, not a stall", () => {
    const input = {
      from: 0,
      to: 10_000,
      members: [
        // Killed at 2000: it wrote nothing more.
        member("a", [line(0, [0], [], "join")], [{ startedAt: 0, endedAt: 2000 }]),
        member("b", [line(0, [1], [], "join"), line(6000, [], [1]), line(6100, [0, 1], [])]),
      ],
    };
    const intervals = ownershipIntervals(input);
    assert.deepEqual(
      intervals.map((i) => [i.member, i.partition, i.from, i.to]),
      [
        ["a", 0, 0, 2000],
        ["b", 0, 6100, 10_000],
        ["b", 1, 0, 6000],
        ["b", 1, 6100, 10_000],
      ],
    );
    const { figures, gaps } = rebalanceFigures(input);
    assert.deepEqual(
      gaps.map((g) => [g.partition, g.from, g.to, g.kind]),
      [
        [0, 2000, 6100, "move"],
        [1, 6000, 6100, "stop-the-world"],
      ],
    );
    assert.equal(figures.stopTheWorldMs, 100);
    // The crashed member's partition is not a pause: its owner was gone.
    assert.equal(figures.pausedMs, 100);
    assert.equal(figures.unownedPartitionMs, 4200);
  });

  it("when a static member restarts and gets its partitions back, then the wait is its own downtime, not a stall nor a move", () => {
    const input = {
      from: 0,
      to: 5000,
      members: [
        member(
          "a",
          [line(0, [0, 1], [], "join"), line(1000, [], [0, 1], "stop"), line(2500, [0, 1], [], "join")],
          [{ startedAt: 0, endedAt: 1050 }, { startedAt: 1100 }],
        ),
        member("b", [line(0, [2], [], "join")]),
      ],
    };
    const { figures, gaps } = rebalanceFigures(input);
    assert.deepEqual(
      gaps.map((g) => [g.partition, g.kind]),
      [
        [0, "owner-down"],
        [1, "owner-down"],
      ],
    );
    assert.equal(figures.stopTheWorldMs, 0);
    assert.equal(figures.pausedMs, 0);
    assert.equal(figures.moves, 0);
    assert.equal(figures.unownedPartitionMs, 3000);
  });

  it("when ownership passes straight from one member to another, or is not taken up before the window ends, then the first is a move and the second an open gap", () => {
    const input = {
      from: 0,
      to: 4000,
      members: [
        member("a", [line(0, [0, 1], [], "join"), line(1000, [], [0]), line(3000, [], [1])]),
        member("b", [line(1000, [0], [])]),
      ],
    };
    const { figures, gaps } = rebalanceFigures(input);
    assert.equal(figures.moves, 1);
    assert.deepEqual(figures.perMember.b!.movesIn, 1);
    assert.deepEqual(
      gaps.map((g) => [g.partition, g.from, g.to, g.kind, g.after]),
      [[1, 3000, 4000, "open", null]],
    );
    assert.equal(figures.stopTheWorldMs, 0);
  });

  it("when intervals reach outside the window, then they are clipped to it, and what happened before it is not counted", () => {
    const input = {
      from: 1000,
      to: 2000,
      members: [member("a", [line(0, [0], [], "join"), line(500, [], [0]), line(800, [0], [])])],
    };
    assert.deepEqual(
      ownershipIntervals(input).map((i) => [i.from, i.to]),
      [[1000, 2000]],
    );
    assert.equal(rebalanceFigures(input).figures.stopTheWorldMs, 0);
  });

  it("when members report redeliveries, then they are summed per member and in total", () => {
    const input = {
      from: 0,
      to: 1000,
      members: [
        member("a", [line(0, [0], [], "join"), redelivered(100, 3), redelivered(200, 2)]),
        member("b", [line(0, [1], [], "join"), redelivered(300, 1)]),
      ],
    };
    const { figures } = rebalanceFigures(input);
    assert.equal(figures.perMember.a!.redelivered, 5);
    assert.equal(figures.perMember.b!.redelivered, 1);
    assert.equal(figures.redelivered, 6);
  });

  it("when spans overlap or touch, then their union counts each millisecond once", () => {
    assert.equal(unionMs([]), 0);
    assert.equal(
      unionMs([
        { from: 0, to: 10 },
        { from: 5, to: 20 },
        { from: 20, to: 25 },
        { from: 30, to: 31 },
      ]),
      26,
    );
  });

  it("when a member's log is replayed, then it owns what its current run was assigned and not revoked; a stopped member owns nothing", () => {
    const lines = [
      line(0, [0, 1], [], "join"),
      line(10, [], [0, 1], "stop"),
      line(30, [2], [], "join"),
      line(40, [3], []),
    ];
    assert.deepEqual(currentlyOwned(member("a", lines, [{ startedAt: 0, endedAt: 15 }, { startedAt: 20 }])), [2, 3]);
    assert.deepEqual(currentlyOwned(member("a", lines, [{ startedAt: 0, endedAt: 15 }])), []);
  });
});
