// The migration's report as a person reads it: what was copied from where to where, and at which
// offsets each consumer group now stands on the new topic.
//
// Owner of mutable state: none.
import type { MigrationReport } from "./migrate-topic.ts";

export function reportLines(report: MigrationReport): string[] {
  const total = report.copied.reduce((sum, c) => sum + c.records, 0);
  const lines = [
    `migrated ${report.from} (${report.sourcePartitions} partitions) to ${report.to} (${report.partitions} partitions, replication factor ${report.replicationFactor}): ${total} records copied (${report.livePassRecords} live, ${report.cutoverPassRecords} at the cutover)`,
  ];
  for (const c of report.copied)
    lines.push(
      `  ${report.from}/${c.sourcePartition} offsets ${c.start}..${c.end}: ${c.records} records -> [${c.byTarget.join(", ")}]`,
    );
  lines.push(`  ${report.to} now holds [${report.targetRecords.join(", ")}] records per partition`);
  if (report.groups.length === 0) lines.push("  no consumer group handed over");
  for (const g of report.groups)
    lines.push(
      `  group ${g.groupId}: ${report.from} offsets [${g.fromOffsets.join(", ")}] -> ${report.to} offsets [${g.toOffsets.join(", ")}]`,
    );
  lines.push(
    `next: start the consumers and producers with COMMANDS_TOPIC=${report.to} (points-api, ledger); ${report.from} can be deleted once nothing reads it`,
  );
  return lines;
}
