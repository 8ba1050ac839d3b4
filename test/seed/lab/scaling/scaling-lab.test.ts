// The scaling lab's quick run on a real broker (groups of in-process members of our client, each
// command an I/O wait): throughput grows with the members as long as each has a partition of its
// own — 6 members on 6 partitions do at least 4× what 1 member does — members beyond the partition
// count own nothing, 6 members on 3 partitions do no better than 3 could, and no user's commands
// are ever consumed out of order. The reports are written where asked.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { CellResult } from "../../../../seed/lab/scaling/measure.ts";
import { runScalingLab, scalingLabDefaults } from "../../../../seed/lab/scaling/scaling-lab.ts";
import type { ScalingReport } from "../../../../seed/lab/scaling/scaling-report.ts";

describe("npm run lab -- --scaling --quick", { timeout: 180_000 }, () => {
  const outDir = mkdtempSync(join(tmpdir(), "scaling-lab-test-"));
  let report: ScalingReport;
  const lines: string[] = [];

  before(async () => {
    report = await runScalingLab({ ...scalingLabDefaults(true), seed: 42, outDir, log: (line) => lines.push(line) });
  });
  after(() => rmSync(outDir, { recursive: true, force: true }));

  const cell = (members: number, partitions: number): CellResult => {
    const found = report.cells.find((c) => c.members === members && c.partitions === partitions);
    assert.ok(found, `${members} members on ${partitions} partitions ran`);
    return found;
  };
  const context = () => lines.join("\n");

  it("when 6 members consume 6 partitions, then their throughput is at least 4× that of 1 member", () => {
    const one = cell(1, 6);
    const six = cell(6, 6);
    assert.ok(one.throughputPerSec > 0, context());
    assert.ok(six.throughputPerSec >= 4 * one.throughputPerSec, context());
  });

  it("when 8 members consume 6 partitions, then 2 members own nothing and the other 6 one partition each", () => {
    const eight = cell(8, 6);
    assert.equal(eight.idleMembers.length, 2, context());
    const owners = eight.perMember.filter((m) => m.partitions.length > 0);
    assert.equal(owners.length, 6);
    assert.ok(owners.every((m) => m.partitions.length === 1));
    for (const idle of eight.perMember.filter((m) => m.partitions.length === 0)) assert.equal(idle.recordsInWindow, 0);
  });

  it("when 6 members consume 3 partitions, then 3 own nothing and the group does no better than min(members, partitions) allows", () => {
    const capped = cell(6, 3);
    assert.equal(capped.idleMembers.length, 3, context());
    assert.ok(capped.throughputPerSec <= capped.idealPerSec * 1.05, context());
    assert.ok(capped.throughputPerSec < cell(6, 6).throughputPerSec, context());
  });

  it("when every group's consumption is checked per user, then there are zero order anomalies and no partition ran dry in a window", () => {
    for (const c of report.cells) {
      assert.ok(c.order.commands > 0);
      assert.equal(c.order.outOfOrder, 0, `${c.members} on ${c.partitions}: ${c.order.examples.join("; ")}`);
      assert.deepEqual(c.drainedPartitions, [], `${c.members} on ${c.partitions}`);
    }
  });

  it("when the run ends, then report.json holds the same report and report.html the chart and a row per run", () => {
    const json = JSON.parse(readFileSync(join(outDir, "report.json"), "utf8")) as ScalingReport;
    assert.deepEqual(json, JSON.parse(JSON.stringify(report)));
    assert.deepEqual(
      json.cells.map((c) => `${c.members}/${c.partitions}`),
      ["1/6", "3/6", "6/6", "8/6", "6/3", "8/12"],
    );
    const html = readFileSync(join(outDir, "report.html"), "utf8");
    assert.equal(html.match(/<tr data-members=/g)?.length, 6);
    assert.match(html, /id="chart"/);
  });
});
