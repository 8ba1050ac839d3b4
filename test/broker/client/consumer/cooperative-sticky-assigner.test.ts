// The cooperative-sticky assignor: balance, stickiness, the two-phase move (revoked in one
// generation, handed out in the next), and the assigner's protocol bytes as the coordinator relays them.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemberAssignment, MemberMetadata } from "../../../../broker/client/consumer/assigner-protocol.ts";
import {
  COOPERATIVE_STICKY,
  cooperativeSticky,
  planStickyAssignment,
  type StickyMember,
} from "../../../../broker/client/consumer/cooperative-sticky-assigner.ts";
import type { Assignment } from "../../../../broker/client/consumer/types.ts";
import { createLogger, logLevel } from "../../../../broker/client/logger.ts";

const partitionsOf =
  (counts: Record<string, number>) =>
  (topic: string): number[] =>
    Array.from({ length: counts[topic] ?? 0 }, (_, i) => i);

const member = (memberId: string, owned: Assignment = {}, generationId = 1, topics = ["t"]): StickyMember => ({
  memberId,
  topics,
  ownedPartitions: Object.entries(owned).map(([topic, partitions]) => ({ topic, partitions })),
  generationId,
});

const count = (assignment: Assignment | undefined): number =>
  Object.values(assignment ?? {}).reduce((sum, list) => sum + list.length, 0);

/** Every partition of the plan, as "topic-partition", in order. */
function handedOut(assignments: Map<string, Assignment>): string[] {
  return [...assignments.values()]
    .flatMap((a) => Object.entries(a).flatMap(([topic, list]) => list.map((p) => `${topic}-${p}`)))
    .sort();
}

describe("cooperative-sticky assignor", () => {
  it("when nobody owns anything, then every partition is handed out once and loads differ by at most one", () => {
    const { assignments, revoking } = planStickyAssignment(
      [member("c"), member("a"), member("b")],
      partitionsOf({ t: 7 }),
    );
    assert.deepEqual(revoking, []);
    assert.deepEqual(
      handedOut(assignments),
      Array.from({ length: 7 }, (_, i) => `t-${i}`),
    );
    assert.deepEqual(
      ["a", "b", "c"].map((m) => count(assignments.get(m))),
      [3, 2, 2],
    );
  });

  it("when the owners are balanced already, then everyone keeps exactly what it owns", () => {
    const { assignments, revoking } = planStickyAssignment(
      [member("a", { t: [0, 3, 5] }), member("b", { t: [1, 2, 4] })],
      partitionsOf({ t: 6 }),
    );
    assert.deepEqual(revoking, []);
    assert.deepEqual(assignments.get("a"), { t: [0, 3, 5] });
    assert.deepEqual(assignments.get("b"), { t: [1, 2, 4] });
  });

  it("when a third member joins, then the partitions that move are first only revoked, and handed to it in the next generation", () => {
    const first = planStickyAssignment(
      [member("a", { t: [0, 1, 2] }), member("b", { t: [3, 4, 5] }), member("c")],
      partitionsOf({ t: 6 }),
    );
    // Each of a and b gives one up; nobody gets them yet.
    assert.equal(first.revoking.length, 2);
    assert.deepEqual(first.assignments.get("c"), {});
    assert.equal(count(first.assignments.get("a")), 2);
    assert.equal(count(first.assignments.get("b")), 2);
    const kept = [...(first.assignments.get("a")!.t ?? []), ...(first.assignments.get("b")!.t ?? [])];
    for (const { partition, from } of first.revoking) {
      assert.ok(!kept.includes(partition), "a revoked partition is handed to nobody");
      assert.ok((from === "a" ? [0, 1, 2] : [3, 4, 5]).includes(partition), "revoked from its owner");
    }

    // The next generation: a and b own what they kept; the two freed partitions go to c, nothing else moves.
    const second = planStickyAssignment(
      [member("a", first.assignments.get("a"), 2), member("b", first.assignments.get("b"), 2), member("c", {}, 2)],
      partitionsOf({ t: 6 }),
    );
    assert.deepEqual(second.revoking, []);
    assert.deepEqual(second.assignments.get("a"), first.assignments.get("a"));
    assert.deepEqual(second.assignments.get("b"), first.assignments.get("b"));
    assert.deepEqual(second.assignments.get("c")!.t!.sort(), first.revoking.map((r) => r.partition).sort());
  });

  it("when a member leaves, then its partitions go at once to the least loaded of the others, who keep theirs", () => {
    const { assignments, revoking } = planStickyAssignment(
      [member("a", { t: [0, 1] }), member("b", { t: [2, 3] })],
      partitionsOf({ t: 6 }),
    );
    assert.deepEqual(revoking, []);
    assert.deepEqual(assignments.get("a"), { t: [0, 1, 4] });
    assert.deepEqual(assignments.get("b"), { t: [2, 3, 5] });
  });

  it("when members subscribe to different topics, then each gets only partitions of its topics", () => {
    const { assignments } = planStickyAssignment(
      [member("a", {}, 1, ["x"]), member("b", {}, 1, ["x", "y"]), member("c", {}, 1, ["y"])],
      partitionsOf({ x: 4, y: 2 }),
    );
    assert.deepEqual(Object.keys(assignments.get("a")!), ["x"]);
    assert.deepEqual(Object.keys(assignments.get("c")!), ["y"]);
    assert.deepEqual(handedOut(assignments), ["x-0", "x-1", "x-2", "x-3", "y-0", "y-1"]);
    assert.deepEqual(
      ["a", "b", "c"].map((m) => count(assignments.get(m))),
      [2, 2, 2],
    );
  });

  it("when two members claim one partition, then the newer generation keeps it; a member that stopped subscribing must revoke first", () => {
    const conflict = planStickyAssignment(
      [member("a", { t: [0] }, 5), member("b", { t: [0, 1] }, 4)],
      partitionsOf({ t: 2 }),
    );
    assert.deepEqual(conflict.assignments.get("a"), { t: [0] });
    assert.deepEqual(conflict.assignments.get("b"), { t: [1] });

    const unsubscribed = planStickyAssignment(
      [member("a", { t: [0, 1] }, 3, ["other"]), member("b", {}, 3)],
      partitionsOf({ t: 2, other: 0 }),
    );
    assert.deepEqual(unsubscribed.assignments.get("b"), {}, "a still owns them until it revokes");
    assert.deepEqual(
      unsubscribed.revoking.map((r) => `${r.from}:${r.partition}`),
      ["a:0", "a:1"],
    );
  });

  it("when used as an assigner, then it speaks Java's protocol name and subscription v2 with owned partitions and generation", async () => {
    const assigner = cooperativeSticky({
      cluster: {
        findTopicPartitionMetadata: (topic) =>
          partitionsOf({ t: 4 })(topic).map((partitionId) => ({
            partitionErrorCode: 0,
            partitionId,
            leader: 0,
            replicas: [0],
            isr: [0],
          })),
        getNodeIds: () => [0],
        refreshMetadata: async () => undefined,
      },
      groupId: "g",
      logger: createLogger(logLevel.NOTHING),
    });
    assert.equal(assigner.name, COOPERATIVE_STICKY);
    assert.deepEqual(assigner.supportedProtocols, ["EAGER", "COOPERATIVE"]);
    const a = assigner.protocol({
      topics: ["t"],
      ownedPartitions: [{ topic: "t", partitions: [0, 1, 2, 3] }],
      generationId: 7,
    });
    const b = assigner.protocol({ topics: ["t"] });
    assert.deepEqual(MemberMetadata.decode(a.metadata), {
      version: 2,
      topics: ["t"],
      userData: Buffer.alloc(0),
      ownedPartitions: [{ topic: "t", partitions: [0, 1, 2, 3] }],
      generationId: 7,
    });
    const result = await assigner.assign({
      members: [
        { memberId: "a", memberMetadata: a.metadata },
        { memberId: "b", memberMetadata: b.metadata },
      ],
      topics: ["t"],
    });
    const decoded = new Map(result.map((r) => [r.memberId, MemberAssignment.decode(r.memberAssignment)?.assignment]));
    assert.deepEqual(decoded.get("a"), { t: [0, 1] });
    assert.deepEqual(decoded.get("b"), {}, "the two partitions a gives up reach b one generation later");
  });
});
