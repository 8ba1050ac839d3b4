// A Raft node for controller tests: leadership and commits happen when the test says. Proposals
// get offsets in order (a new leadership first takes one offset for its leader-change control
// batch, as KRaft's does); commit() hands the batches to the committed listeners, then resolves
// the proposals; losing leadership rejects what is not committed.
import type { MetadataRaft } from "../../../broker/controller/quorum-controller.ts";
import type { CommittedBatch } from "../../../broker/server/metadata/metadata-loader.ts";

export class NotLeaderError extends Error {}

interface Pending {
  batch: CommittedBatch;
  resolve: (offset: bigint) => void;
  reject: (error: Error) => void;
}

export class FakeRaft implements MetadataRaft {
  isLeader = false;
  epoch = 0;
  proposals = 0;
  private nextOffset = 0n;
  private pending: Pending[] = [];
  private readonly committedListeners: ((batch: CommittedBatch) => void)[] = [];
  private readonly leaderListeners: (() => void)[] = [];

  onCommitted(listener: (batch: CommittedBatch) => void): void {
    this.committedListeners.push(listener);
  }

  onLeaderChange(listener: () => void): void {
    this.leaderListeners.push(listener);
  }

  propose(records: Buffer[]): Promise<bigint> {
    if (!this.isLeader) return Promise.reject(new NotLeaderError("not the leader"));
    this.proposals++;
    const batch = { baseOffset: this.nextOffset, epoch: this.epoch, records };
    this.nextOffset += BigInt(records.length);
    return new Promise((resolve, reject) => this.pending.push({ batch, resolve, reject }));
  }

  /** Commits every pending proposal, in order. */
  commit(): void {
    const batches = this.pending;
    this.pending = [];
    for (const { batch, resolve } of batches) {
      for (const listener of this.committedListeners) listener(batch);
      resolve(batch.baseOffset + BigInt(batch.records.length) - 1n);
    }
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Fails the pending proposals while staying leader (a failed append, say). */
  failPending(): void {
    const failed = this.pending;
    this.pending = [];
    for (const { reject } of failed) reject(new Error("append failed"));
  }

  becomeLeader(): void {
    this.epoch++;
    this.isLeader = true;
    this.nextOffset++; // the leader-change control batch
    for (const listener of this.leaderListeners) listener();
  }

  loseLeadership(): void {
    this.epoch++;
    this.isLeader = false;
    const lost = this.pending;
    this.pending = [];
    for (const { reject } of lost) reject(new NotLeaderError("leadership lost"));
    for (const listener of this.leaderListeners) listener();
  }
}
