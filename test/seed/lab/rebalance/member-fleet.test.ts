// The member fleet on real child processes: a stand-in for the ledger that writes its event log
// as the ledger does (an assignment when it starts, a revocation when it stops cleanly) and prints
// the ledger's ready line. What the ledger itself writes is covered by the rebalance lab's test.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Supervisor } from "../../../../apps/supervisor.ts";
import { MemberFleet } from "../../../../seed/lab/rebalance/member-fleet.ts";
import { waitFor } from "../../../helpers/wait.ts";

const standIn = `
import { appendFileSync } from "node:fs";
const write = (line) => appendFileSync(process.env.LEDGER_EVENT_LOG, JSON.stringify(line) + "\\n");
const base = { event: "assignment", member: "id-" + process.pid, instance: process.env.LEDGER_INSTANCE_ID ?? null, generation: 1, protocol: "EAGER" };
write({ ...base, at: Date.now(), reason: "join", assigned: [Number(process.env.PARTITION)], revoked: [] });
process.on("SIGTERM", () => {
  write({ ...base, at: Date.now(), reason: "stop", assigned: [], revoked: [Number(process.env.PARTITION)] });
  process.exit(0);
});
console.log("[ledger] consuming points.commands as group ledger");
if (process.env.DIE_AFTER_MS) setTimeout(() => process.exit(3), Number(process.env.DIE_AFTER_MS));
setInterval(() => {}, 1000);
`;

describe("member fleet", () => {
  let dir: string;
  let script: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "member-fleet-"));
    script = join(dir, "stand-in.mjs");
    writeFileSync(script, standIn);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("when the schedule's actions are applied, then members start, stop, die and restart, with their runs, markers and event logs recorded", async () => {
    const supervisor = new Supervisor(() => {});
    const fleet = new MemberFleet(supervisor, {
      label: "test",
      env: { SHARED: "1" },
      memberEnv: (member) => ({ LEDGER_INSTANCE_ID: `ledger-${member}`, PARTITION: member.slice(1) }),
      eventDir: join(dir, "events"),
      show: () => false,
      script,
    });
    try {
      await Promise.all(["m1", "m2", "m3"].map((member) => fleet.start(member)));
      await fleet.apply({ atMs: 0, kind: "join", member: "m4" });
      await fleet.apply({ atMs: 0, kind: "leave", member: "m1" });
      await fleet.apply({ atMs: 0, kind: "crash", member: "m2" });
      await fleet.apply({ atMs: 0, kind: "restart", member: "m3" });
      await assert.rejects(fleet.apply({ atMs: 0, kind: "leave", member: "m2" }), /m2 is not running/);

      assert.deepEqual(fleet.members(), ["m1", "m2", "m3", "m4"]);
      assert.deepEqual(
        fleet.markers().map((m) => `${m.kind} ${m.member}`),
        ["join m4", "leave m1", "crash m2", "restart m3"],
      );
      const histories = new Map(fleet.histories().map((h) => [h.member, h]));
      const runs = (member: string) => histories.get(member)!.runs;
      assert.equal(runs("m1").length, 1);
      assert.ok(runs("m1")[0]!.endedAt! >= runs("m1")[0]!.startedAt);
      assert.equal(runs("m3").length, 2);
      assert.ok(runs("m3")[1]!.startedAt >= runs("m3")[0]!.endedAt!);
      assert.equal(runs("m3")[1]!.endedAt, undefined);
      assert.equal(runs("m4")[0]!.endedAt, undefined);

      const reasons = (member: string) =>
        histories.get(member)!.lines.map((l) => (l.event === "assignment" ? `${l.reason} ${l.instance}` : l.event));
      // A clean stop writes its revocation; a killed member writes nothing more.
      assert.deepEqual(reasons("m1"), ["join ledger-m1", "stop ledger-m1"]);
      assert.deepEqual(reasons("m2"), ["join ledger-m2"]);
      assert.deepEqual(reasons("m3"), ["join ledger-m3", "stop ledger-m3", "join ledger-m3"]);
    } finally {
      await supervisor.stopAll();
    }
  });

  it("when a member dies on its own, then its run ends when it exited, it is listed as an unexpected exit, and a restart starts it again", async () => {
    const supervisor = new Supervisor(() => {});
    const fleet = new MemberFleet(supervisor, {
      label: "own-exit",
      env: {},
      memberEnv: (member) => ({ PARTITION: member.slice(1), ...(member === "m1" ? { DIE_AFTER_MS: "50" } : {}) }),
      eventDir: join(dir, "events-own-exit"),
      show: () => false,
      script,
    });
    try {
      await fleet.start("m1");
      await waitFor(() => fleet.unexpectedExits().length === 1, { message: "m1 died" });
      assert.deepEqual(
        fleet.unexpectedExits().map((e) => [e.member, e.how]),
        [["m1", "exit code 3"]],
      );
      const [run] = fleet.histories()[0]!.runs;
      assert.ok(run!.endedAt! >= run!.startedAt);
      // Leaving a member that is already gone changes nothing; a restart starts it again.
      await fleet.apply({ atMs: 0, kind: "leave", member: "m1" });
      await fleet.apply({ atMs: 0, kind: "restart", member: "m1" });
      assert.equal(fleet.histories()[0]!.runs.length, 2);
    } finally {
      await supervisor.stopAll();
    }
  });
});
