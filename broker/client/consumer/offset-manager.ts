// The offset manager (kafkajs's name for it): what a consumer commits, and when. Processed
// positions (each partition's `resolved`) are committed after every batch with autoCommit, sooner
// when autoCommitInterval or autoCommitThreshold says so, when a seek lands, before leaving a
// generation, and on the app's demand (consumer.commitOffsets, commitOffsetsIfNecessary).
//
// Ownership: the offset manager owns the commit timing: when it last committed, the commit in
// flight and the one queued behind it, and a background commit's failure until the fetcher asks
// for it (throwIfCommitFailed), where the runner's retry policy applies. It writes the partitions'
// `committed` and, when a session starts, their committed positions. Sessions belong to the
// runner: a commit refused because the generation is over is handed back to it (endSession).
import { ErrorCode } from "../../protocol/errors.ts";
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Offsets, TopicOffsets } from "../types.ts";
import { type CommitIdentity, type CommittedOffset, isRejoinError } from "./group.ts";
import { type PartitionState, partitionKey } from "./partition-state.ts";
import type { Session } from "./session.ts";
import type { OffsetsByTopicPartition } from "./types.ts";

/** The group's commit and offset-fetch requests (GroupOffsets); a fake in unit tests. */
export interface OffsetStore {
  commit(identity: CommitIdentity, offsets: CommittedOffset[]): Promise<void>;
  fetchCommitted(partitions: { topic: string; partition: number }[]): Promise<CommittedOffset[]>;
}

export interface OffsetManagerOptions {
  /** null without a groupId: nothing is committed. */
  store: OffsetStore | null;
  logger: Logger;
  groupId: string;
  /** False for a standalone consumer, whose refused commit is a plain failure (no generation to rejoin). */
  inGroup: boolean;
  autoCommit: boolean;
  autoCommitInterval: number | null;
  autoCommitThreshold: number | null;
  /** The runner's: the group needs us to rejoin. */
  endSession(session: Session, reason: KafkaJSProtocolError): void;
  now?: () => number;
}

export class OffsetManager {
  /** autoCommitInterval or autoCommitThreshold may call for a commit in the middle of a batch. */
  readonly policyActive: boolean;
  private readonly now: () => number;
  private lastCommit: number;
  private commitInFlight: Promise<void> | undefined;
  private commitFollowUp: Promise<void> | undefined;
  private commitFailure: Error | undefined;

  constructor(private readonly options: OffsetManagerOptions) {
    this.now = options.now ?? Date.now;
    this.lastCommit = this.now();
    this.policyActive =
      options.autoCommit && (options.autoCommitInterval !== null || options.autoCommitThreshold !== null);
  }

  /** Sets the session's partitions' (or `states`') positions to the group's committed offsets, where it has some. */
  async loadCommitted(session: Session, states: PartitionState[] = [...session.partitions.values()]): Promise<void> {
    const { store } = this.options;
    if (!store || states.length === 0) return;
    const committed = await store.fetchCommitted(states);
    const byKey = new Map(states.map((state) => [state.key, state]));
    for (const { topic, partition, offset } of committed) {
      const state = byKey.get(partitionKey(topic, partition));
      if (state) state.resolved = state.committed = offset;
    }
  }

  /**
   * With autoCommit, the positions of partitions a cooperative rebalance takes away, before their
   * new owner loads them; after the commits already on their way, so an older one cannot land last.
   */
  async commitRevoked(session: Session, states: PartitionState[]): Promise<void> {
    const { store } = this.options;
    if (!this.options.autoCommit || !store || !session.canCommit) return;
    await (this.commitFollowUp ?? this.commitInFlight)?.catch(() => undefined);
    const pending = states.filter((state) => state.resolved !== null && state.resolved !== state.committed);
    if (pending.length === 0) return;
    const offsets = pending.map(({ topic, partition, resolved }) => ({ topic, partition, offset: resolved! }));
    await store.commit(session.identity, offsets);
    for (const [i, state] of pending.entries()) state.committed = offsets[i]!.offset;
  }

  /** Whether autoCommitInterval has passed since the last commit, or autoCommitThreshold messages are uncommitted. */
  commitDue(session: Session): boolean {
    const { autoCommitInterval, autoCommitThreshold } = this.options;
    if (autoCommitInterval !== null && this.now() >= this.lastCommit + autoCommitInterval) return true;
    if (autoCommitThreshold !== null) {
      let pending = 0n;
      for (const state of session.partitions.values()) {
        if (state.resolved !== null) pending += state.resolved - (state.committed ?? 0n);
      }
      return pending >= BigInt(autoCommitThreshold);
    }
    return false;
  }

  /** Within a batch, after each message: commits in the background if the commit policy says it is time. */
  commitIfDue(session: Session): void {
    if (this.policyActive && this.commitDue(session)) this.commitInBackground(session);
  }

  /** After a batch is processed, with autoCommit. */
  commitAfterBatch(session: Session): void {
    if (this.options.autoCommit) this.commitInBackground(session);
  }

  /** An auto-commit refused because the generation is over ends the session instead of failing. */
  async autoCommit(session: Session, { afterTurn = false }: { afterTurn?: boolean } = {}): Promise<void> {
    const identity = session.identity;
    try {
      await this.commitResolved(session, afterTurn);
    } catch (error) {
      // A standalone consumer has no generation to rejoin: its refused commit is a plain failure.
      if (!isRejoinError(error) || !this.options.inGroup) throw error;
      // Refused for a generation a cooperative session has left since: the next commit carries the offsets.
      if (session.identity !== identity) return;
      this.options.endSession(session, error);
    }
  }

  /**
   * Auto-commits go out after each batch as in kafkajs, but the next fetch does not wait for them:
   * they only ever cover processed messages, and concurrent ones merge (see commitResolved). A
   * failure surfaces at the next fetch, where the retry policy applies; stopping and rebalancing
   * await the commits in flight.
   */
  commitInBackground(session: Session): void {
    // Batches of one fetch settle in the same turn of the event loop: the commit reads the positions
    // once the turn ends (setImmediate, not a timer), so that they share one OffsetCommit.
    this.autoCommit(session, { afterTurn: true }).catch((error: unknown) => {
      this.options.logger.warn("Auto-commit failed", {
        groupId: this.options.groupId,
        error: (error as Error).message,
      });
      this.commitFailure ??= error instanceof Error ? error : new Error(String(error));
    });
  }

  /** After a handler threw: what was processed before it is committed (kafkajs), and a failure to is only logged. */
  async autoCommitQuietly(session: Session): Promise<void> {
    if (!this.options.autoCommit) return;
    try {
      await this.autoCommit(session);
    } catch (error) {
      this.options.logger.debug("Commit after a handler error failed", {
        groupId: this.options.groupId,
        error: (error as Error).message,
      });
    }
  }

  /** The failure of a background commit, once: the fetcher throws it before its next fetch. */
  throwIfCommitFailed(): void {
    if (!this.commitFailure) return;
    const failure = this.commitFailure;
    this.commitFailure = undefined;
    throw failure;
  }

  /** With autoCommit, the position a seek moved to is committed at once (kafkajs). */
  async commitSeeks(session: Session, positions: CommittedOffset[]): Promise<void> {
    const { store } = this.options;
    if (!this.options.autoCommit || !store || positions.length === 0 || !session.canCommit) return;
    await store.commit(session.identity, positions);
    this.noteCommitted(session, positions);
  }

  /** With autoCommit, the last commit of a session that is ending; a failure is only logged. */
  async commitBeforeLeaving(session: Session): Promise<void> {
    if (!this.options.autoCommit || !session.canCommit) return;
    try {
      await this.commitResolved(session);
    } catch (error) {
      this.options.logger.debug("Could not commit before leaving the generation", {
        groupId: this.options.groupId,
        error: (error as Error).message,
      });
    }
  }

  /**
   * Concurrent callers share commits: one in flight, at most one more queued behind it for all of
   * them (it sends nothing when the one before carried every position). `afterTurn`: the commit in
   * flight first lets the current turn of the event loop end, and stopping or rebalancing waits
   * for it like any other.
   */
  private commitResolved(session: Session, afterTurn = false): Promise<void> {
    if (this.commitInFlight) {
      this.commitFollowUp ??= this.commitInFlight
        .catch(() => undefined)
        .then(() => {
          this.commitFollowUp = undefined;
          return this.commitResolved(session);
        });
      return this.commitFollowUp;
    }
    const run = afterTurn
      ? new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.commitNow(session))
      : this.commitNow(session);
    const commit = run.finally(() => {
      this.commitInFlight = undefined;
    });
    this.commitInFlight = commit;
    return commit;
  }

  private async commitNow(session: Session): Promise<void> {
    this.lastCommit = this.now();
    const { store } = this.options;
    if (!store || !session.canCommit) return;
    const pending: CommittedOffset[] = [];
    for (const state of session.partitions.values()) {
      if (state.resolved !== null && state.resolved !== state.committed)
        pending.push({ topic: state.topic, partition: state.partition, offset: state.resolved });
    }
    if (pending.length === 0) return;
    const identity = session.identity;
    try {
      await store.commit(identity, pending);
    } catch (error) {
      // A cooperative session moved to its next generation meanwhile: the next commit carries these offsets.
      if (session.identity !== identity && isRejoinError(error)) return;
      throw error;
    }
    this.noteCommitted(session, pending);
  }

  /**
   * Records what a commit stored, for the partitions the session still has: a cooperative
   * revocation may have dropped some while the commit was on its way.
   */
  private noteCommitted(session: Session, offsets: readonly CommittedOffset[]): void {
    for (const { topic, partition, offset } of offsets) {
      const state = session.partitions.get(partitionKey(topic, partition));
      if (state) state.committed = offset;
    }
  }

  /** consumer.commitOffsets and commitOffsetsIfNecessary(offsets): exactly these offsets, for `session`. */
  async commitGiven(session: Session | undefined, given: Offsets): Promise<void> {
    const { store } = this.options;
    if (!store) throw new KafkaJSNonRetriableError("Cannot commit offsets without a groupId");
    if (!session || session.ended)
      throw new KafkaJSProtocolError(ErrorCode.REBALANCE_IN_PROGRESS, "the consumer is rejoining its group");
    const list: CommittedOffset[] = given.topics.flatMap(({ topic, partitions }) =>
      partitions.map(({ partition, offset }) => ({ topic, partition, offset: BigInt(offset) })),
    );
    try {
      await store.commit(session.identity, list);
    } catch (error) {
      if (isRejoinError(error)) this.options.endSession(session, error);
      throw error;
    }
    this.noteCommitted(session, list);
  }

  /** Processed positions not committed yet, as kafkajs's uncommittedOffsets() reports them. */
  uncommittedOffsets(session: Session | undefined): OffsetsByTopicPartition {
    const byTopic = new Map<string, TopicOffsets>();
    for (const state of session?.partitions.values() ?? []) {
      if (state.resolved === null || state.resolved === state.committed || state.resolved < 0n) continue;
      let entry = byTopic.get(state.topic);
      if (!entry) byTopic.set(state.topic, (entry = { topic: state.topic, partitions: [] }));
      entry.partitions.push({ partition: state.partition, offset: String(state.resolved) });
    }
    return { topics: [...byTopic.values()] };
  }
}
