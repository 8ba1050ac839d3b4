// Where a follower's log stops agreeing with its leader's, and the cut there (the truncation half of
// Kafka's AbstractFetcherThread: maybeTruncate, getOffsetTruncationState, fetchOffsetAndTruncate).
// A replica that just started following, or follows a new leader epoch, may hold records the leader
// never had (it led once, or followed a leader that lost them), so before it fetches it asks the
// leader, with OffsetForLeaderEpoch, where this log's latest epoch ends in the leader's log, and cuts
// there (at the end of the largest epoch both logs share). A log without epochs is cut at its high
// watermark. When the leader names an epoch this log does not know, it cuts to the end of the
// largest smaller epoch and asks again. OFFSET_OUT_OF_RANGE on a fetch is settled as Kafka's
// follower does (ListOffsets: cut to the leader's end if the leader is behind this log, else start
// over at the leader's start if this log ends before it).
//
// Ownership: none. An OffsetTruncation belongs to one ReplicaFetcher and runs only from its loop; it
// cuts the replicas' logs and moves their entries in the fetcher's PartitionFetchStates, which
// stay the fetcher's. An answer for an entry that is no longer current is dropped.
import { ErrorCode, errorCodeName } from "../../protocol/errors.ts";
import { UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET as UNDEFINED_OFFSET } from "../../storage/leader-epoch-checkpoint.ts";
import type { Logger } from "../logger.ts";
import type { LeaderEndpoint } from "./leader-endpoint.ts";
import type { PartitionFetchState, PartitionFetchStates } from "./partition-fetch-state.ts";
import type { PartitionState } from "./partition-state.ts";

const LATEST_TIMESTAMP = -1n;
const EARLIEST_TIMESTAMP = -2n;

/**
 * Where to cut this log given the leader's answer for its latest epoch (Kafka's
 * getOffsetTruncationState): `completed` false when the leader named an epoch this log lacks, so
 * another round must follow with this log's (then smaller) latest epoch.
 */
export function truncationOffset(
  leader: { leaderEpoch: number; endOffset: bigint },
  local: { endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint }; logEndOffset: bigint },
  fetchOffset: bigint,
): { offset: bigint; completed: boolean } {
  const min = (a: bigint, b: bigint) => (a < b ? a : b);
  if (leader.endOffset === UNDEFINED_OFFSET) return { offset: fetchOffset, completed: true };
  if (leader.leaderEpoch === UNDEFINED_EPOCH)
    return { offset: min(leader.endOffset, local.logEndOffset), completed: true };
  const mine = local.endOffsetForEpoch(leader.leaderEpoch);
  if (mine.endOffset === UNDEFINED_OFFSET)
    return { offset: min(leader.endOffset, local.logEndOffset), completed: true };
  if (mine.epoch !== leader.leaderEpoch) return { offset: min(mine.endOffset, local.logEndOffset), completed: false };
  return { offset: min(min(mine.endOffset, leader.endOffset), local.logEndOffset), completed: true };
}

export class OffsetTruncation {
  constructor(
    private readonly localBrokerId: number,
    private readonly endpoint: LeaderEndpoint,
    private readonly replicaOf: (topic: string, partition: number) => PartitionState | undefined,
    private readonly states: PartitionFetchStates,
    private readonly log: Logger,
    /** The leader is at a newer epoch: the fetcher lets the partition go until new metadata. */
    private readonly onFenced: (state: PartitionFetchState) => void,
  ) {}

  /**
   * One OffsetForLeaderEpoch round for the partitions ready to truncate: each is cut and goes on to
   * fetch, or truncates again (another round), or waits. Throws, with them held back, if the request fails.
   */
  async truncate(truncating: readonly PartitionFetchState[]): Promise<void> {
    const asked: { state: PartitionFetchState; latestEpoch: number }[] = [];
    for (const state of truncating) {
      const replica = this.replicaOf(state.topic, state.partition);
      if (!replica) continue;
      const latestEpoch = replica.partition.log.latestEpoch;
      if (latestEpoch !== UNDEFINED_EPOCH) asked.push({ state, latestEpoch });
      else this.truncateTo(state, replica, state.fetchOffset, true);
    }
    if (asked.length === 0) return;

    const byTopic = new Map<string, { partition: number; currentLeaderEpoch: number; leaderEpoch: number }[]>();
    for (const { state, latestEpoch } of asked) {
      const list = byTopic.get(state.topic) ?? [];
      list.push({ partition: state.partition, currentLeaderEpoch: state.currentLeaderEpoch, leaderEpoch: latestEpoch });
      byTopic.set(state.topic, list);
    }
    let response: Awaited<ReturnType<LeaderEndpoint["offsetsForLeaderEpoch"]>>;
    try {
      response = await this.endpoint.offsetsForLeaderEpoch({
        replicaId: this.localBrokerId,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      });
    } catch (error) {
      this.states.delay(asked.map((a) => a.state));
      throw error;
    }
    const answered = new Set<PartitionFetchState>();
    for (const topic of response.topics) {
      for (const result of topic.partitions) {
        const sent = asked.find((a) => a.state.topic === topic.topic && a.state.partition === result.partition)?.state;
        if (!sent || !this.states.isCurrent(sent)) continue;
        answered.add(sent);
        const replica = this.replicaOf(sent.topic, sent.partition);
        if (!replica) continue;
        if (result.errorCode === ErrorCode.NONE) {
          const leader = {
            leaderEpoch: result.leaderEpoch ?? UNDEFINED_EPOCH,
            endOffset: result.endOffset ?? UNDEFINED_OFFSET,
          };
          const cut = truncationOffset(leader, replica.partition.log, sent.fetchOffset);
          this.log.info("truncating follower log", {
            topic: sent.topic,
            partition: sent.partition,
            leaderEpoch: leader.leaderEpoch,
            leaderEndOffset: String(leader.endOffset),
            offset: String(cut.offset),
            completed: cut.completed,
          });
          this.truncateTo(sent, replica, cut.offset, cut.completed);
        } else if (result.errorCode === ErrorCode.FENCED_LEADER_EPOCH) {
          this.onFenced(sent);
        } else {
          this.log.debug("OffsetForLeaderEpoch refused; retrying", {
            topic: sent.topic,
            partition: sent.partition,
            error: errorCodeName(result.errorCode),
          });
          this.states.delay([sent]);
        }
      }
    }
    this.states.delay(asked.map((a) => a.state).filter((s) => !answered.has(s) && this.states.isCurrent(s)));
  }

  /** Cuts the replica's log at `offset`; the partition fetches from there, or truncates again if not `completed`. */
  truncateTo(state: PartitionFetchState, replica: PartitionState, offset: bigint, completed: boolean): void {
    const log = replica.partition.log;
    if (offset < log.highWatermark)
      this.log.warn("truncating below the high watermark", {
        topic: state.topic,
        partition: state.partition,
        offset: String(offset),
        highWatermark: String(log.highWatermark),
      });
    replica.partition.truncateTo(offset);
    // A cut inside a batch removes the whole batch: fetching resumes where the log now ends.
    const fetchOffset = log.logEndOffset < offset ? log.logEndOffset : offset;
    this.states.replace(state, { fetchOffset, status: completed ? "fetching" : "truncating", delayedUntil: 0 });
  }

  /** Kafka's fetchOffsetAndTruncate: where to fetch from once the leader says the offset is out of its range. */
  async handleOutOfRange(state: PartitionFetchState, replica: PartitionState): Promise<void> {
    const log = replica.partition.log;
    const replicaEnd = log.logEndOffset;
    const leaderEnd = await this.#leaderOffset(state, LATEST_TIMESTAMP);
    if (leaderEnd === null || !this.states.isCurrent(state)) return;
    if (leaderEnd < replicaEnd) {
      this.log.warn("leader ends before this replica: truncating to its end", {
        topic: state.topic,
        partition: state.partition,
        from: String(replicaEnd),
        to: String(leaderEnd),
      });
      this.truncateTo(state, replica, leaderEnd, true);
      return;
    }
    const leaderStart = await this.#leaderOffset(state, EARLIEST_TIMESTAMP);
    if (leaderStart === null || !this.states.isCurrent(state)) return;
    // Fetch on from this log's end, unless the leader's log starts after it: then start over there.
    let fetchOffset = replicaEnd;
    if (leaderStart > replicaEnd) {
      this.log.warn("leader starts after this replica ends: starting over at its start", {
        topic: state.topic,
        partition: state.partition,
        logEndOffset: String(replicaEnd),
        leaderStartOffset: String(leaderStart),
      });
      replica.partition.truncateFullyAndStartAt(leaderStart);
      fetchOffset = leaderStart;
    }
    this.states.replace(state, { fetchOffset, status: "fetching" });
  }

  /** The leader's offset for `timestamp` (latest: its log end, for a replica), or null after delaying the partition. */
  async #leaderOffset(state: PartitionFetchState, timestamp: bigint): Promise<bigint | null> {
    try {
      const response = await this.endpoint.listOffsets({
        replicaId: this.localBrokerId,
        isolationLevel: 0,
        topics: [{ name: state.topic, partitions: [{ partitionIndex: state.partition, timestamp }] }],
      });
      const answer = response.topics.find((t) => t.name === state.topic)?.partitions[0];
      if (answer && answer.errorCode === ErrorCode.NONE && answer.offset !== undefined) return answer.offset;
      this.log.debug("ListOffsets refused; retrying", {
        topic: state.topic,
        partition: state.partition,
        error: answer ? errorCodeName(answer.errorCode) : "no answer",
      });
    } catch (error) {
      this.log.debug("ListOffsets failed; retrying", {
        topic: state.topic,
        partition: state.partition,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    this.states.delay([state]);
    return null;
  }
}
