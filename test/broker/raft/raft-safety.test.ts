// Raft's safety properties under random faults (a Jepsen-style check in a simulated cluster): three
// voters and an observer take proposals while messages are dropped and delayed, links are cut,
// nodes crash (kill -9), restart and stop cleanly. Throughout and at the end:
// - at most one leader per epoch (seen live, and in the LeaderChangeMessages of every log);
// - a committed entry is never lost or changed: every node's committed stream, every restart of
//   it included, agrees offset by offset with every other, and every acknowledged proposal is in
//   the final committed log with its records;
// - once the faults stop, every log is byte-identical to the leader's.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { splitBatches } from "../../../broker/protocol/record-batch/splitter.ts";
import { leaderChangeOf } from "../../../broker/raft/raft-batches.ts";
import { RaftTestCluster } from "./raft-cluster-fixture.ts";

const voters = [0, 1, 2];
const observer = 3;
const nodeIds = [...voters, observer];

type Fault =
  | { kind: "propose"; records: number }
  | { kind: "advance"; ms: number }
  | { kind: "crash"; node: number }
  | { kind: "restart"; node: number }
  | { kind: "stop"; node: number }
  | { kind: "isolate"; node: number }
  | { kind: "cut"; a: number; b: number }
  | { kind: "heal" }
  | { kind: "drop"; rate: number }
  | { kind: "latency"; max: number };

/** A step: something happens, then the clock runs on for `thenMs`. */
type Action = Fault & { thenMs: number };

const node = fc.constantFrom(...nodeIds);
const fault: fc.Arbitrary<Fault> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant("propose" as const), records: fc.integer({ min: 1, max: 3 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 5000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("crash" as const), node }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("restart" as const), node }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("stop" as const), node }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("isolate" as const), node }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cut" as const), a: node, b: node }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("heal" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("drop" as const), rate: fc.constantFrom(0, 0.05, 0.3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("latency" as const), max: fc.constantFrom(5, 200, 1500) }) },
);
const action: fc.Arbitrary<Action> = fc
  .tuple(fault, fc.integer({ min: 0, max: 800 }))
  .map(([happens, thenMs]) => ({ ...happens, thenMs }));

class SafetyChecker {
  readonly leadersByEpoch = new Map<number, number>();
  /** offset → what was committed there, as first seen. */
  readonly committedAt = new Map<bigint, string>();
  readonly acknowledged: { lastOffset: bigint; values: string[] }[] = [];

  observe(quorum: RaftTestCluster): void {
    for (const running of quorum.running) {
      if (!running.isLeader) continue;
      const known = this.leadersByEpoch.get(running.epoch);
      assert.ok(
        known === undefined || known === running.nodeId,
        `two leaders in epoch ${running.epoch}: ${known} and ${running.nodeId}`,
      );
      this.leadersByEpoch.set(running.epoch, running.nodeId);
    }
    for (const [id, batches] of quorum.committed) {
      let expected = -1n;
      for (const batch of batches) {
        assert.ok(batch.baseOffset > expected, `node ${id}'s committed stream goes back at ${batch.baseOffset}`);
        expected = batch.lastOffset;
        const signature = `${batch.epoch}|${batch.lastOffset}|${batch.records.map(String).join(",")}`;
        const seen = this.committedAt.get(batch.baseOffset);
        assert.ok(
          seen === undefined || seen === signature,
          `offset ${batch.baseOffset} committed as ${seen} and as ${signature} (node ${id})`,
        );
        this.committedAt.set(batch.baseOffset, signature);
      }
    }
  }

  /** Every log's LeaderChangeMessages name one leader per epoch. */
  checkLogs(quorum: RaftTestCluster): void {
    const leaderOfEpoch = new Map<number, number>();
    for (const id of nodeIds) {
      const bytes = quorum.logBytes(id);
      for (const { position, header } of splitBatches(bytes).batches) {
        const message = leaderChangeOf(bytes.subarray(position, position + 12 + header.batchLength));
        if (message === null) continue;
        const known = leaderOfEpoch.get(header.partitionLeaderEpoch);
        assert.ok(
          known === undefined || known === message.leaderId,
          `epoch ${header.partitionLeaderEpoch} opened by ${known} and by ${message.leaderId}`,
        );
        leaderOfEpoch.set(header.partitionLeaderEpoch, message.leaderId);
      }
    }
  }
}

async function runScenario(seed: number, actions: Action[]): Promise<void> {
  const quorum = new RaftTestCluster({ voters, observers: [observer], seed });
  const checker = new SafetyChecker();
  let counter = 0;
  try {
    quorum.startAll();
    await quorum.elected();
    for (const step of actions) {
      switch (step.kind) {
        case "propose":
          for (const running of quorum.running) {
            if (!running.isLeader) continue;
            const values = Array.from({ length: step.records }, () => `v${counter++}`);
            running.propose(values.map((value) => Buffer.from(value))).then(
              (lastOffset) => checker.acknowledged.push({ lastOffset, values }),
              () => {},
            );
          }
          break;
        case "advance":
          await quorum.scheduler.advance(step.ms);
          break;
        case "crash":
          quorum.crash(step.node);
          break;
        case "restart":
          if (!quorum.isRunning(step.node)) quorum.start(step.node);
          break;
        case "stop":
          await quorum.stop(step.node);
          break;
        case "isolate":
          quorum.network.isolate(step.node);
          break;
        case "cut":
          if (step.a !== step.b) quorum.network.cutLink(step.a, step.b);
          break;
        case "heal":
          quorum.network.heal();
          break;
        case "drop":
          quorum.network.dropRate = step.rate;
          break;
        case "latency":
          quorum.network.maxLatencyMs = step.max;
          break;
      }
      await quorum.scheduler.advance(step.thenMs);
      checker.observe(quorum);
    }

    // The faults stop: everyone comes back and catches up with one leader.
    quorum.network.heal();
    quorum.network.dropRate = 0;
    quorum.network.maxLatencyMs = 5;
    for (const id of nodeIds) if (!quorum.isRunning(id)) quorum.start(id);
    await quorum.until(() => {
      const leader = quorum.leader();
      if (leader === null || leader.highWatermark !== leader.logEndOffset) return false;
      return quorum.running.every(
        (running) => running.logEndOffset === leader.logEndOffset && running.highWatermark === leader.highWatermark,
      );
    }, "convergence after the faults");
    // One more commit in the final epoch, so every node's committed stream reaches the end.
    await quorum.commit([`v${counter++}`]);
    await quorum.until(() => {
      const leader = quorum.leader();
      return leader !== null && quorum.running.every((running) => running.highWatermark === leader.logEndOffset);
    }, "the last commit everywhere");
    checker.observe(quorum);
    checker.checkLogs(quorum);

    const leader = quorum.leader()!;
    const finalStream = quorum.committed.get(leader.nodeId)!;
    for (const { lastOffset, values } of checker.acknowledged) {
      const batch = finalStream.find((candidate) => candidate.lastOffset === lastOffset);
      assert.ok(batch, `acknowledged offset ${lastOffset} is missing from the committed log`);
      assert.deepEqual(batch.records.map(String), values, `acknowledged offset ${lastOffset} changed`);
    }
    const leaderBytes = quorum.logBytes(leader.nodeId);
    for (const id of nodeIds) assert.ok(quorum.logBytes(id).equals(leaderBytes), `node ${id}'s log differs`);
  } finally {
    quorum.dispose();
  }
}

describe("raft safety under faults", () => {
  it("when messages drop and nodes crash, restart and get cut off, then no committed entry is lost or changed and the logs converge", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(action, { minLength: 10, maxLength: 60, size: "max" }),
        runScenario,
      ),
      // RAFT_PROPERTY_SEED and RAFT_PROPERTY_PATH replay a failure fast-check reported.
      {
        numRuns: Number(process.env.RAFT_PROPERTY_RUNS ?? 40),
        seed: process.env.RAFT_PROPERTY_SEED === undefined ? undefined : Number(process.env.RAFT_PROPERTY_SEED),
        path: process.env.RAFT_PROPERTY_PATH,
        endOnFailure: true,
        includeErrorInReport: true,
      },
    );
  });
});
