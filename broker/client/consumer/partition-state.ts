// Per-partition bookkeeping of a consumer, and the pause and seek requests an app makes, which
// outlive rebalances (a partition paused before a rebalance stays paused if it comes back).
export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  /**
   * The next offset to read and, once committed, the group's position: last processed + 1. As in
   * kafkajs, fetching resumes from here, so messages a handler did not get to are fetched again.
   * null until known (from the group's commit, or from ListOffsets).
   */
  resolved: bigint | null;
  committed: bigint | null;
  /** Where to start without a committed offset, or after OFFSET_OUT_OF_RANGE: -2n earliest, -1n latest. */
  reset: bigint;
  /** Taken away by a cooperative rebalance: nothing more of it is fetched or handed out. */
  revoked: boolean;
}

export const EARLIEST = -2n;
export const LATEST = -1n;

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export function createPartitionState(topic: string, partition: number, fromBeginning: boolean): PartitionState {
  return {
    topic,
    partition,
    key: partitionKey(topic, partition),
    resolved: null,
    committed: null,
    reset: fromBeginning ? EARLIEST : LATEST,
    revoked: false,
  };
}

interface TopicPauseState {
  all: boolean;
  paused: Set<number>;
  /** Partitions resumed one by one while the whole topic is paused. */
  resumed: Set<number>;
}

/** kafkajs's pause semantics: a whole topic, or single partitions, with per-partition exceptions. */
export class PauseState {
  private readonly topics = new Map<string, TopicPauseState>();

  private stateOf(topic: string): TopicPauseState {
    let state = this.topics.get(topic);
    if (!state) this.topics.set(topic, (state = { all: false, paused: new Set(), resumed: new Set() }));
    return state;
  }

  pause(topicPartitions: Array<{ topic: string; partitions?: number[] }>): void {
    for (const { topic, partitions } of topicPartitions) {
      const state = this.stateOf(topic);
      if (partitions === undefined) {
        state.paused.clear();
        state.resumed.clear();
        state.all = true;
      } else {
        for (const partition of partitions) {
          state.paused.add(partition);
          state.resumed.delete(partition);
        }
        state.all = false;
      }
    }
  }

  resume(topicPartitions: Array<{ topic: string; partitions?: number[] }>): void {
    for (const { topic, partitions } of topicPartitions) {
      const state = this.stateOf(topic);
      if (partitions === undefined) {
        state.paused.clear();
        state.resumed.clear();
        state.all = false;
      } else {
        for (const partition of partitions) {
          state.paused.delete(partition);
          if (state.all) state.resumed.add(partition);
        }
      }
    }
  }

  isPaused(topic: string, partition: number): boolean {
    if (this.topics.size === 0) return false;
    const state = this.topics.get(topic);
    if (!state) return false;
    return (state.all && !state.resumed.has(partition)) || state.paused.has(partition);
  }
}
