// The consumer-group report computed from group snapshots (as the broker's admin API gives them).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { GroupInspector, GroupSnapshot } from "../../../../apps/points-api/group-inspector.ts";
import { createGroupUseCases, watchedGroups } from "../../../../apps/points-api/use-cases/groups.ts";

/** Answers every group with the given snapshot. */
const inspectorOf = (snapshot: GroupSnapshot): GroupInspector => ({ snapshot: async () => snapshot });

describe("points-api groups use case", () => {
  it("when a group has members and commits, then each partition's lag is its end minus the committed offset, members' partitions sorted", async () => {
    const { groups } = await createGroupUseCases(
      inspectorOf({
        state: "Stable",
        members: [
          {
            memberId: "m1",
            clientId: "ledger",
            clientHost: "/127.0.0.1",
            assignment: { "points.commands": [2, 0], "points.events": [1] },
          },
        ],
        committed: [
          { partition: 0, offset: "40" },
          { partition: 2, offset: "7" },
        ],
        ends: [
          { partition: 2, high: "7", low: "0" },
          { partition: 0, high: "50", low: "0" },
        ],
      }),
    ).groups();
    const ledger = groups.find((g) => g.groupId === "ledger")!;
    assert.deepEqual(ledger, {
      groupId: "ledger",
      topic: "points.commands",
      state: "Stable",
      members: [{ memberId: "m1", clientId: "ledger", clientHost: "/127.0.0.1", partitions: [0, 2] }],
      partitions: [
        { partition: 0, committedOffset: "40", endOffset: "50", lag: 10 },
        { partition: 2, committedOffset: "7", endOffset: "7", lag: 0 },
      ],
      totalLag: 10,
    });
    assert.deepEqual(
      groups.map((g) => g.groupId),
      watchedGroups.map((g) => g.groupId),
    );
  });

  it("when nothing is committed, then a partition's lag counts from its log start; a member without the topic owns no partitions", async () => {
    const { groups } = await createGroupUseCases(
      inspectorOf({
        state: "Empty",
        members: [{ memberId: "m1", clientId: "x", clientHost: "/h", assignment: {} }],
        committed: [{ partition: 0, offset: "-1" }],
        ends: [
          { partition: 0, high: "30", low: "10" },
          { partition: 1, high: "5", low: "5" },
        ],
      }),
    ).groups();
    assert.deepEqual(groups[0]!.partitions, [
      { partition: 0, committedOffset: null, endOffset: "30", lag: 20 },
      { partition: 1, committedOffset: null, endOffset: "5", lag: 0 },
    ]);
    assert.deepEqual(groups[0]!.members[0]!.partitions, []);
    assert.equal(groups[0]!.totalLag, 20);
  });

  it("when the commands topic is another (after a migration), then the ledger's group is reported on it and the others on points.events", async () => {
    const asked: string[] = [];
    const inspector: GroupInspector = {
      snapshot: async (groupId, topic) => {
        asked.push(`${groupId} ${topic}`);
        return { state: "Empty", members: [], committed: [], ends: [] };
      },
    };
    const { groups } = await createGroupUseCases(inspector, "points.commands.v2").groups();
    assert.deepEqual(asked.sort(), [
      "analytics points.events",
      "ledger points.commands.v2",
      "notification points.events",
    ]);
    assert.equal(groups.find((g) => g.groupId === "ledger")!.topic, "points.commands.v2");
  });
});
