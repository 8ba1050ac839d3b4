// Cooperative incremental rebalancing (KIP-429) of a runner's session, our extension (kafkajs only
// rebalances eagerly). When the group rebalances, the member rejoins in the background, listing the
// partitions it owns, while the session goes on consuming them. Each new generation's assignment
// then revokes only what it takes away (deliveries of those partitions stop and finish, their
// positions are committed, they are dropped: nothing more of them is handed out) and adds what it
// newly gives (committed positions loaded, fetch loops started). A member that had partitions
// revoked rejoins once more, so that the next generation can hand them to their new owner (Java's
// rule: the assignor hands a moving partition to nobody in the generation that revokes it).
//
// Ownership: a CooperativeRebalance owns the rejoin in progress (at most one). The session stays
// the runner's; this writes its identity and partitions as each generation comes in. What was
// lost (the group forgot the member or its generation) is not handled here: the runner ends the
// session, as eagerly.
import { ErrorCode } from "../../protocol/errors.ts";
import { KafkaJSError, KafkaJSProtocolError } from "../errors.ts";
import { consumerEvents } from "../events.ts";
import { createRetrier } from "../retry.ts";
import type { Fetcher } from "./fetcher.ts";
import type { GroupJoinResult, GroupMember } from "./group.ts";
import type { OffsetManager } from "./offset-manager.ts";
import { createPartitionState, type PartitionState, partitionKey } from "./partition-state.ts";
import {
  emitGroupJoin,
  type OpenSessionOptions,
  type Session,
  subscribedAssignment,
  subscribedPartitionCounts,
} from "./session.ts";
import type { AssignmentChangeReason, ConsumerEvents } from "./types.ts";

/**
 * Errors after which the group no longer counts this member's generation (or, on the consumer
 * protocol, its member epoch): what it owned is lost, not revoked.
 */
const LOST_ERRORS = new Set<number>([
  ErrorCode.UNKNOWN_MEMBER_ID,
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.FENCED_INSTANCE_ID,
  ErrorCode.FENCED_MEMBER_EPOCH,
]);

export const isLost = (reason: Error): boolean =>
  reason instanceof KafkaJSProtocolError && LOST_ERRORS.has(reason.code);

export interface CooperativeRebalanceOptions
  extends Pick<OpenSessionOptions, "cluster" | "logger" | "emitter" | "groupId" | "subscription" | "retry"> {
  group: GroupMember;
  offsetManager: OffsetManager;
  fetcher: Fetcher;
  isRunning(): boolean;
  /** The batch of the partition being handed to the app, if any: its revocation waits for it. */
  deliveryOf(key: string): Promise<void> | undefined;
  /** The runner's: ends the session (the rejoin failed, or the member was lost). */
  finishSession(session: Session, reason: Error, endReason: AssignmentChangeReason): void;
  /** The runner's: REBALANCING event and log line. */
  announceRebalance(session: Session, reason: Error): void;
  /** The runner's: PARTITIONS_ASSIGNED / PARTITIONS_REVOKED. */
  reportChange(
    event: ConsumerEvents["PARTITIONS_ASSIGNED"] | ConsumerEvents["PARTITIONS_REVOKED"],
    session: Session,
    reason: AssignmentChangeReason,
    states: PartitionState[],
  ): void;
  /** A generation's assignment is in place. */
  onGeneration(): void;
}

/** A rejoin in progress: `synced` once this round's assignment is in; `again` to go round once more. */
interface Rejoin {
  synced: boolean;
  again: boolean;
  done: Promise<void>;
}

export class CooperativeRebalance {
  private rejoin: Rejoin | undefined;

  constructor(private readonly options: CooperativeRebalanceOptions) {}

  /** A rejoin whose assignment is not in yet explains refusals (of commits) made meanwhile. */
  get awaitingAssignment(): boolean {
    return this.rejoin !== undefined && !this.rejoin.synced;
  }

  /** Resolves once no rejoin is in progress (before the runner joins afresh, or leaves). */
  async settled(): Promise<void> {
    await this.rejoin?.done;
  }

  /** The group needs us to rejoin: starts a rejoin, or has the one in progress go round once more. */
  request(session: Session, reason: Error): void {
    if (this.rejoin) {
      this.rejoin.again = true;
      return;
    }
    const rejoin: Rejoin = { synced: false, again: true, done: Promise.resolve() };
    this.rejoin = rejoin;
    rejoin.done = this.rejoinKeepingPartitions(session, rejoin, reason).finally(() => {
      if (this.rejoin === rejoin) this.rejoin = undefined;
    });
  }

  /** Joins and syncs with what the session owns while it goes on consuming, and applies each new assignment. */
  private async rejoinKeepingPartitions(session: Session, rejoin: Rejoin, reason: Error): Promise<void> {
    const { group, subscription } = this.options;
    const stillWanted = (): boolean => this.options.isRunning() && !session.ended;
    try {
      while (rejoin.again && stillWanted()) {
        rejoin.again = false;
        rejoin.synced = false;
        this.options.announceRebalance(session, reason);
        const started = Date.now();
        const joined = await group.joinAndSync(subscription.topics, stillWanted, {
          ownedPartitions: session.ownedPartitions(),
          generationId: session.identity.generationId,
        });
        rejoin.synced = true;
        if (!stillWanted()) return;
        if (joined.memberId !== session.identity.memberId) {
          // The group forgot this member meanwhile: what it owned may have been handed out since.
          this.options.finishSession(session, new KafkaJSError("The group no longer knew this member"), "lost");
          return;
        }
        if (await this.applyAssignment(session, joined, started)) {
          rejoin.again = true;
          reason = new KafkaJSError("Partitions were revoked; rejoining so they can be given out");
        }
      }
    } catch (caught) {
      rejoin.synced = true;
      const error = caught instanceof Error ? caught : new Error(String(caught));
      if (stillWanted()) this.options.finishSession(session, error, isLost(error) ? "lost" : "rebalance");
    }
  }

  /** Moves the session to the joined generation; returns whether anything was revoked. */
  private async applyAssignment(session: Session, joined: GroupJoinResult, started: number): Promise<boolean> {
    const { options } = this;
    const { offsetManager, subscription } = options;
    const retrier = createRetrier(options.retry);
    const memberAssignment = subscribedAssignment(options, joined);
    const next = new Set<string>();
    for (const [topic, list] of Object.entries(memberAssignment))
      for (const partition of list) next.add(partitionKey(topic, partition));
    session.identity = { generationId: joined.generationId, memberId: joined.memberId };
    session.partitionCounts = subscribedPartitionCounts(options.cluster, subscription.topics);

    const revoked = [...session.partitions.values()].filter(({ key }) => !next.has(key));
    if (revoked.length > 0) {
      for (const state of revoked) state.revoked = true;
      await Promise.all(revoked.map(({ key }) => options.deliveryOf(key)?.catch(() => undefined)));
      try {
        await retrier(() => offsetManager.commitRevoked(session, revoked));
      } catch (error) {
        options.logger.warn("Could not commit the positions of revoked partitions", {
          groupId: options.groupId,
          error: (error as Error).message,
        });
      }
      for (const { key } of revoked) session.partitions.delete(key);
      options.reportChange(consumerEvents.PARTITIONS_REVOKED, session, "rebalance", revoked);
    }

    const added: PartitionState[] = [];
    for (const [topic, list] of Object.entries(memberAssignment)) {
      for (const partition of list) {
        if (session.partitions.has(partitionKey(topic, partition))) continue;
        added.push(createPartitionState(topic, partition, subscription.fromBeginning.get(topic) ?? false));
      }
    }
    if (added.length > 0) {
      await retrier(() => offsetManager.loadCommitted(session, added));
      if (session.ended) return revoked.length > 0;
      for (const state of added) session.partitions.set(state.key, state);
      options.reportChange(consumerEvents.PARTITIONS_ASSIGNED, session, "rebalance", added);
      await options.fetcher.addPartitions(session, added);
    }
    options.onGeneration();
    emitGroupJoin(options, joined, memberAssignment, started);
    return revoked.length > 0;
  }
}
