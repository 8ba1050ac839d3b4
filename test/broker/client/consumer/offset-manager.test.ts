// The offset manager on its own: a fake store stands in for the group's OffsetCommit and
// OffsetFetch requests (it records each commit and can hold or refuse one), so what is committed,
// and when, is seen exactly.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CommitIdentity, CommittedOffset } from "../../../../broker/client/consumer/group.ts";
import { OffsetManager, type OffsetManagerOptions } from "../../../../broker/client/consumer/offset-manager.ts";
import { createPartitionState, partitionKey } from "../../../../broker/client/consumer/partition-state.ts";
import { Session } from "../../../../broker/client/consumer/session.ts";
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from "../../../../broker/client/errors.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { silentLogger, waitFor } from "../helpers.ts";

interface Commit {
  identity: CommitIdentity;
  offsets: string[];
}

class FakeStore {
  readonly commits: Commit[] = [];
  committed: CommittedOffset[] = [];
  /** While set, commits wait for it. */
  hold: Promise<void> | undefined;
  /** The next commit fails with this. */
  refuse: Error | undefined;

  async commit(identity: CommitIdentity, offsets: CommittedOffset[]): Promise<void> {
    this.commits.push({ identity, offsets: offsets.map((o) => `${o.topic}-${o.partition}@${o.offset}`) });
    if (this.hold) await this.hold;
    const refusal = this.refuse;
    this.refuse = undefined;
    if (refusal) throw refusal;
  }

  async fetchCommitted(): Promise<CommittedOffset[]> {
    return this.committed;
  }
}

function sessionOf(...partitions: Array<[topic: string, partition: number, resolved: bigint | null]>): Session {
  const states = new Map(
    partitions.map(([topic, partition, resolved]) => {
      const state = createPartitionState(topic, partition, true);
      state.resolved = resolved;
      return [state.key, state] as const;
    }),
  );
  return new Session({ generationId: 3, memberId: "member-1" }, states, new Map());
}

function setResolved(session: Session, topic: string, partition: number, resolved: bigint): void {
  [...session.partitions.values()].find((s) => s.topic === topic && s.partition === partition)!.resolved = resolved;
}

function committedOf(session: Session): Record<string, string | null> {
  return Object.fromEntries(
    [...session.partitions.values()].map((s) => [
      `${s.topic}-${s.partition}`,
      s.committed === null ? null : String(s.committed),
    ]),
  );
}

function managerWith(store: FakeStore | null, options: Partial<OffsetManagerOptions> = {}) {
  const ended: Array<{ session: Session; reason: Error }> = [];
  const manager = new OffsetManager({
    store,
    logger: silentLogger,
    groupId: "group",
    inGroup: true,
    autoCommit: true,
    autoCommitInterval: null,
    autoCommitThreshold: null,
    endSession: (session, reason) => ended.push({ session, reason }),
    ...options,
  });
  return { manager, ended };
}

describe("OffsetManager", () => {
  it("when a batch is processed with autoCommit, then the processed positions that moved are committed with the session's identity", async () => {
    const store = new FakeStore();
    const { manager } = managerWith(store);
    const session = sessionOf(["t", 0, 5n], ["t", 1, null], ["u", 0, 2n]);
    manager.commitAfterBatch(session);
    await waitFor(() => session.partitions.get(partitionKey("t", 0))!.committed === 5n, "the commit to land");
    assert.deepEqual(store.commits, [
      { identity: { generationId: 3, memberId: "member-1" }, offsets: ["t-0@5", "u-0@2"] },
    ]);
    assert.deepEqual(committedOf(session), { "t-0": "5", "t-1": null, "u-0": "2" });

    setResolved(session, "u", 0, 7n);
    await manager.autoCommit(session);
    assert.deepEqual(store.commits[1]!.offsets, ["u-0@7"]);
  });

  it("when the batches of one fetch are processed in the same turn, then one commit carries them all", async () => {
    const store = new FakeStore();
    const { manager } = managerWith(store);
    const session = sessionOf(["t", 0, null], ["t", 1, null], ["t", 2, null]);
    for (const partition of [0, 1, 2]) {
      setResolved(session, "t", partition, BigInt(10 + partition));
      manager.commitAfterBatch(session);
    }
    await waitFor(() => session.partitions.get(partitionKey("t", 2))!.committed === 12n, "the commit to land");
    assert.deepEqual(store.commits, [
      { identity: { generationId: 3, memberId: "member-1" }, offsets: ["t-0@10", "t-1@11", "t-2@12"] },
    ]);

    // A later turn's batch gets a commit of its own.
    setResolved(session, "t", 0, 20n);
    manager.commitAfterBatch(session);
    await waitFor(() => store.commits.length === 2, "the next commit");
    assert.deepEqual(store.commits[1]!.offsets, ["t-0@20"]);
  });

  it("when autoCommit is off, then processing commits nothing", async () => {
    const store = new FakeStore();
    const { manager } = managerWith(store, { autoCommit: false, autoCommitThreshold: 1 });
    const session = sessionOf(["t", 0, 5n]);
    manager.commitAfterBatch(session);
    manager.commitIfDue(session);
    await manager.autoCommitQuietly(session);
    await manager.commitSeeks(session, [{ topic: "t", partition: 0, offset: 3n }]);
    await manager.commitBeforeLeaving(session);
    assert.equal(manager.policyActive, false);
    assert.deepEqual(store.commits, []);
  });

  it("when autoCommitThreshold messages are processed but not committed, then a commit is due, and not before", async () => {
    const store = new FakeStore();
    const { manager } = managerWith(store, { autoCommitThreshold: 10 });
    const session = sessionOf(["t", 0, 0n], ["t", 1, 0n]);
    await manager.autoCommit(session);
    setResolved(session, "t", 0, 4n);
    setResolved(session, "t", 1, 5n);
    assert.equal(manager.commitDue(session), false);
    manager.commitIfDue(session);
    setResolved(session, "t", 1, 6n);
    assert.equal(manager.commitDue(session), true);
    manager.commitIfDue(session);
    await waitFor(() => store.commits.length === 2, "the threshold commit");
    assert.deepEqual(store.commits[1]!.offsets, ["t-0@4", "t-1@6"]);
  });

  it("when autoCommitInterval has passed since the last commit, then a commit is due", async () => {
    let now = 1_000;
    const store = new FakeStore();
    const { manager } = managerWith(store, { autoCommitInterval: 5_000, now: () => now });
    const session = sessionOf(["t", 0, 1n]);
    now = 5_999;
    assert.equal(manager.commitDue(session), false);
    now = 6_000;
    assert.equal(manager.commitDue(session), true);
    await manager.autoCommit(session);
    assert.equal(manager.commitDue(session), false, "the interval starts again at the commit");
    now = 11_000;
    assert.equal(manager.commitDue(session), true);
  });

  it("when commits are asked for while one is in flight, then one more follows for all of them, with the latest positions", async () => {
    const store = new FakeStore();
    let release!: () => void;
    store.hold = new Promise((resolve) => {
      release = resolve;
    });
    const { manager } = managerWith(store);
    const session = sessionOf(["t", 0, 1n]);
    const first = manager.autoCommit(session);
    setResolved(session, "t", 0, 2n);
    const second = manager.autoCommit(session);
    setResolved(session, "t", 0, 3n);
    const third = manager.autoCommit(session);
    assert.equal(store.commits.length, 1);
    store.hold = undefined;
    release();
    await Promise.all([first, second, third]);
    assert.deepEqual(
      store.commits.map((c) => c.offsets),
      [["t-0@1"], ["t-0@3"]],
    );
  });

  it("when a background commit fails, then the fetcher's next check throws that failure, once", async () => {
    const store = new FakeStore();
    store.refuse = new KafkaJSProtocolError(ErrorCode.OFFSET_METADATA_TOO_LARGE, "refused");
    const { manager } = managerWith(store);
    const session = sessionOf(["t", 0, 1n]);
    manager.throwIfCommitFailed();
    manager.commitAfterBatch(session);
    await waitFor(() => {
      try {
        manager.throwIfCommitFailed();
        return false;
      } catch (error) {
        return (error as KafkaJSProtocolError).type === "OFFSET_METADATA_TOO_LARGE";
      }
    }, "the failure to surface");
    manager.throwIfCommitFailed();
  });

  it("when a group member's commit is refused because the generation is over, then the session is ended instead of failing", async () => {
    const store = new FakeStore();
    const { manager, ended } = managerWith(store);
    const session = sessionOf(["t", 0, 1n]);
    store.refuse = new KafkaJSProtocolError(ErrorCode.ILLEGAL_GENERATION, "old generation");
    await manager.autoCommit(session);
    assert.equal(ended.length, 1);
    assert.equal(ended[0]!.session, session);
    assert.equal((ended[0]!.reason as KafkaJSProtocolError).type, "ILLEGAL_GENERATION");
  });

  it("when a standalone consumer's commit is refused that way, then it is a plain failure", async () => {
    const store = new FakeStore();
    const { manager, ended } = managerWith(store, { inGroup: false });
    store.refuse = new KafkaJSProtocolError(ErrorCode.ILLEGAL_GENERATION, "old generation");
    await assert.rejects(manager.autoCommit(sessionOf(["t", 0, 1n])), { type: "ILLEGAL_GENERATION" });
    assert.equal(ended.length, 0);
  });

  it("when seeks land with autoCommit, then their positions are committed at once, unless the generation is gone", async () => {
    const store = new FakeStore();
    const { manager } = managerWith(store);
    const session = sessionOf(["t", 0, 9n]);
    await manager.commitSeeks(session, [{ topic: "t", partition: 0, offset: 3n }]);
    assert.deepEqual(store.commits[0]!.offsets, ["t-0@3"]);
    assert.deepEqual(committedOf(session), { "t-0": "3" });
    session.canCommit = false;
    await manager.commitSeeks(session, [{ topic: "t", partition: 0, offset: 1n }]);
    await manager.commitBeforeLeaving(session);
    assert.equal(store.commits.length, 1);
  });

  it("when the app commits given offsets, then exactly those are committed; a refusal to rejoin ends the session and is thrown", async () => {
    const store = new FakeStore();
    const { manager, ended } = managerWith(store);
    const session = sessionOf(["t", 0, 9n], ["t", 1, 9n]);
    await manager.commitGiven(session, { topics: [{ topic: "t", partitions: [{ partition: 1, offset: "4" }] }] });
    assert.deepEqual(store.commits[0]!.offsets, ["t-1@4"]);
    assert.deepEqual(committedOf(session), { "t-0": null, "t-1": "4" });

    store.refuse = new KafkaJSProtocolError(ErrorCode.REBALANCE_IN_PROGRESS, "rebalancing");
    await assert.rejects(
      manager.commitGiven(session, { topics: [{ topic: "t", partitions: [{ partition: 0, offset: "5" }] }] }),
      { type: "REBALANCE_IN_PROGRESS" },
    );
    assert.equal(ended.length, 1);
  });

  it("when the app commits without a groupId or between generations, then it fails before asking the broker", async () => {
    const withoutGroup = managerWith(null).manager;
    const given = { topics: [{ topic: "t", partitions: [{ partition: 0, offset: "1" }] }] };
    await assert.rejects(withoutGroup.commitGiven(sessionOf(["t", 0, 1n]), given), KafkaJSNonRetriableError);

    const store = new FakeStore();
    const { manager } = managerWith(store);
    const ended = sessionOf(["t", 0, 1n]);
    ended.ended = true;
    await assert.rejects(manager.commitGiven(ended, given), { type: "REBALANCE_IN_PROGRESS" });
    await assert.rejects(manager.commitGiven(undefined, given), { type: "REBALANCE_IN_PROGRESS" });
    assert.equal(store.commits.length, 0);
  });

  it("when a session starts, then positions start at the group's committed offsets, and the uncommitted ones are reported", async () => {
    const store = new FakeStore();
    store.committed = [{ topic: "t", partition: 1, offset: 12n }];
    const { manager } = managerWith(store);
    const session = sessionOf(["t", 0, null], ["t", 1, null]);
    await manager.loadCommitted(session);
    const t1 = session.partitions.get(partitionKey("t", 1))!;
    assert.equal(t1.resolved, 12n);
    assert.equal(t1.committed, 12n);
    assert.equal(session.partitions.get(partitionKey("t", 0))!.resolved, null);
    assert.deepEqual(manager.uncommittedOffsets(session), { topics: [] });
    t1.resolved = 15n;
    assert.deepEqual(manager.uncommittedOffsets(session), {
      topics: [{ topic: "t", partitions: [{ partition: 1, offset: "15" }] }],
    });
  });

  it("when a cooperative session moves to its next generation while a commit is on its way, then the old generation's refusal ends nothing", async () => {
    const store = new FakeStore();
    const { manager, ended } = managerWith(store);
    const session = sessionOf(["t", 0, 5n]);
    let release!: () => void;
    store.hold = new Promise((resolve) => {
      release = resolve;
    });
    store.refuse = new KafkaJSProtocolError(ErrorCode.ILLEGAL_GENERATION, "stale");
    const commit = manager.autoCommit(session);
    session.identity = { generationId: 4, memberId: "member-1" };
    release();
    await commit;
    assert.deepEqual(ended, [], "no rejoin for a generation already left");
    assert.deepEqual(committedOf(session), { "t-0": null }, "not marked committed: the next commit carries it");
    store.hold = undefined;
    await manager.autoCommit(session);
    assert.deepEqual(store.commits.at(-1), { identity: { generationId: 4, memberId: "member-1" }, offsets: ["t-0@5"] });
  });

  it("when a partition is revoked while a commit of its position is on its way, then the commit completes for the partitions that stay", async () => {
    const store = new FakeStore();
    const { manager, ended } = managerWith(store);
    const session = sessionOf(["t", 0, 5n], ["t", 1, 7n]);
    let release!: () => void;
    store.hold = new Promise((resolve) => {
      release = resolve;
    });
    const commit = manager.autoCommit(session);
    session.partitions.delete(partitionKey("t", 1));
    release();
    await commit;
    assert.deepEqual(ended, []);
    assert.deepEqual(store.commits.at(-1)?.offsets, ["t-0@5", "t-1@7"]);
    assert.deepEqual(committedOf(session), { "t-0": "5" });
  });

  it("when partitions are revoked cooperatively, then exactly their processed positions are committed, and only with autoCommit", async () => {
    const store = new FakeStore();
    const { manager } = managerWith(store);
    const session = sessionOf(["t", 0, 5n], ["t", 1, 9n], ["t", 2, null]);
    const revoked = [...session.partitions.values()].filter((s) => s.partition !== 0);
    await manager.commitRevoked(session, revoked);
    assert.deepEqual(store.commits, [{ identity: { generationId: 3, memberId: "member-1" }, offsets: ["t-1@9"] }]);
    assert.deepEqual(committedOf(session), { "t-0": null, "t-1": "9", "t-2": null });

    const manual = new FakeStore();
    const { manager: withoutAutoCommit } = managerWith(manual, { autoCommit: false });
    await withoutAutoCommit.commitRevoked(session, revoked);
    assert.deepEqual(manual.commits, []);
  });

  it("when partitions are revoked while a batch's commit waits for the turn to end, then the revocation waits for it and no older position lands after", async () => {
    const store = new FakeStore();
    const { manager } = managerWith(store);
    const session = sessionOf(["t", 0, 5n], ["t", 1, 9n]);
    manager.commitAfterBatch(session);
    const revoked = [...session.partitions.values()].filter((s) => s.partition === 1);
    await manager.commitRevoked(session, revoked);
    assert.deepEqual(store.commits, [
      { identity: { generationId: 3, memberId: "member-1" }, offsets: ["t-0@5", "t-1@9"] },
    ]);
    assert.deepEqual(committedOf(session), { "t-0": "5", "t-1": "9" });
  });
});
