// Where the group coordinator runs each group's work, and whether a group may be served at all:
// one serial queue per group id (serial-queue.ts), and the refusals Kafka gives before touching a
// group (validateGroupStatus) — the coordinator's lifecycle, an empty group id for the membership
// APIs, then whether this broker leads the group's `__consumer_offsets` partition and has loaded it
// (offsets-partitions.ts).
//
// Ownership: a GroupQueues owns the queues; each group's state is owned by its queue, so every
// change of one group runs in it (coordinator.ts). It reads the partitions' state, never changes it.
import { ErrorCode } from "../../protocol/errors.ts";
import type { OffsetsPartitions } from "./offsets-partitions.ts";
import { KeyedSerialQueue } from "./serial-queue.ts";
import type { KafkaErrorCode } from "./types.ts";

export class GroupQueues {
  readonly #queues = new KeyedSerialQueue<string>();

  constructor(
    private readonly partitions: Pick<OffsetsPartitions, "lifecycleError" | "partitionError">,
    private readonly partitionFor: (groupId: string) => number,
  ) {}

  /** Runs `task` in the group's queue, after the work already queued there, served or not (shutdown, unloading). */
  run<Result>(groupId: string, task: () => Result | Promise<Result>): Promise<Result> {
    return this.#queues.run(groupId, task);
  }

  /**
   * Runs `task` in the group's queue, after the work already queued there. A group this
   * coordinator stopped serving meanwhile gets `whenRefused` with the reason instead.
   */
  inGroupQueue<Result>(
    groupId: string,
    whenRefused: (errorCode: KafkaErrorCode) => Result,
    task: () => Result | Promise<Result>,
  ): Promise<Result> {
    return this.#queues.run(groupId, () => {
      const refused = this.refusal(groupId, false);
      return refused === ErrorCode.NONE ? task() : whenRefused(refused);
    });
  }

  /**
   * Timer callbacks run outside any queue; they only queue work on their group, which runs if the
   * group is still served and `isCurrent` (the timer's group object is still the group's).
   */
  runTimerTask(groupId: string, isCurrent: () => boolean, task: () => void): void {
    void this.#queues.run(groupId, () => {
      if (this.refusal(groupId, false) !== ErrorCode.NONE || !isCurrent()) return;
      task();
    });
  }

  /** Resolves once every task queued so far has finished. */
  drain(): Promise<void> {
    return this.#queues.drain();
  }

  /**
   * Why a request for `groupId` cannot be served now, in Kafka's order (validateGroupStatus): the
   * coordinator's own state, an empty group id (for the membership APIs), then whether this
   * broker leads the group's partition and has loaded it.
   */
  refusal(groupId: string, rejectsEmptyGroupId: boolean): KafkaErrorCode {
    const unavailable = this.partitions.lifecycleError();
    if (unavailable !== ErrorCode.NONE) return unavailable;
    if (rejectsEmptyGroupId && groupId === "") return ErrorCode.INVALID_GROUP_ID;
    return this.partitionError(groupId);
  }

  partitionError(groupId: string): KafkaErrorCode {
    return this.partitions.partitionError(this.partitionFor(groupId));
  }
}
