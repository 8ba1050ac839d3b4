// The migration's report as printed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MigrationReport } from "../../../seed/migrate/migrate-topic.ts";
import { reportLines } from "../../../seed/migrate/report.ts";

const report: MigrationReport = {
  from: "points.commands",
  to: "points.commands.v2",
  sourcePartitions: 2,
  partitions: 1,
  replicationFactor: 1,
  copied: [
    { sourcePartition: 0, start: "0", end: "4", records: 4, byTarget: [4] },
    { sourcePartition: 1, start: "2", end: "5", records: 3, byTarget: [3] },
  ],
  livePassRecords: 5,
  cutoverPassRecords: 2,
  targetRecords: [7],
  groups: [{ groupId: "ledger", fromOffsets: ["4", "5"], toOffsets: ["7"] }],
};

describe("reportLines", () => {
  it("when a migration handed a group over, then the report gives the totals, each source partition's range and the group's offsets before and after", () => {
    assert.deepEqual(reportLines(report), [
      "migrated points.commands (2 partitions) to points.commands.v2 (1 partitions, replication factor 1): 7 records copied (5 live, 2 at the cutover)",
      "  points.commands/0 offsets 0..4: 4 records -> [4]",
      "  points.commands/1 offsets 2..5: 3 records -> [3]",
      "  points.commands.v2 now holds [7] records per partition",
      "  group ledger: points.commands offsets [4, 5] -> points.commands.v2 offsets [7]",
      "next: start the consumers and producers with COMMANDS_TOPIC=points.commands.v2 (points-api, ledger); points.commands can be deleted once nothing reads it",
    ]);
  });

  it("when no group consumed the topic, then the report says none was handed over", () => {
    assert.ok(reportLines({ ...report, groups: [] }).includes("  no consumer group handed over"));
  });
});
