// Offset commits and fetches (OffsetCommit, OffsetFetch): who may commit for a group, which of the
// committed offsets are acceptable, and what a fetch answers. The offsets themselves, and their
// records in `__consumer_offsets`, are kept by the GroupMetadataManager (as Kafka's
// GroupCoordinator hands them to its GroupMetadataManager).
//
// Ownership: each group's state is owned by that group's serial queue (coordinator.ts); every
// method here runs inside the queue of the group it names, after the coordinator checked that it
// coordinates groups at all. Kafka error conditions are returned as error codes, never thrown.

import { ErrorCode } from "../../protocol/errors.ts";
import type { GroupCoordinatorConfig } from "./config.ts";
import { Group } from "./group.ts";
import { type GroupMetadataManager, OffsetsAppendError, type OffsetToStore } from "./group-metadata-manager.ts";
import type { GroupMembership } from "./membership.ts";
import type { Scheduler } from "./scheduler.ts";
import type {
  KafkaErrorCode,
  OffsetCommitPartitionResult,
  OffsetCommitRequest,
  OffsetFetchResult,
  TopicPartitionsQuery,
} from "./types.ts";

export interface GroupOffsetsOptions {
  config: GroupCoordinatorConfig;
  /** Its clock stamps each commit. */
  scheduler: Scheduler;
  metadata: GroupMetadataManager;
  membership: GroupMembership;
  partitionExists: (topic: string, partition: number) => boolean;
}

export function everyOffsetFailed(
  request: OffsetCommitRequest,
  errorCode: KafkaErrorCode,
): OffsetCommitPartitionResult[] {
  return request.offsets.map((offset) => ({ topic: offset.topic, partition: offset.partition, errorCode }));
}

/** The answer per offset, in request order: its own error, or `appendError` for the accepted ones (their append failed). */
function offsetResults(
  request: OffsetCommitRequest,
  errorCodes: readonly KafkaErrorCode[],
  appendError: KafkaErrorCode = ErrorCode.NONE,
): OffsetCommitPartitionResult[] {
  return request.offsets.map((offset, index) => ({
    topic: offset.topic,
    partition: offset.partition,
    errorCode: errorCodes[index] === ErrorCode.NONE ? appendError : errorCodes[index]!,
  }));
}

/**
 * What a commit answers when its append failed, as Kafka maps the append's error: this broker no
 * longer leads the partition (or lost its disk) sends the client to find the coordinator again;
 * a batch too large is the commit's own fault; the rest are passing, so the client retries here.
 */
export function commitErrorFor(error: unknown): KafkaErrorCode {
  const appendError = error instanceof OffsetsAppendError ? error.errorCode : null;
  switch (appendError) {
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
}

/** As commitErrorFor, but the producer's own errors (a fenced epoch, a sequence) are the client's to see. */
function transactionalCommitErrorFor(error: unknown): KafkaErrorCode {
  const appendError = error instanceof OffsetsAppendError ? error.errorCode : null;
  switch (appendError) {
    case ErrorCode.INVALID_PRODUCER_EPOCH:
    case ErrorCode.PRODUCER_FENCED:
    case ErrorCode.INVALID_TXN_STATE:
    case ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER:
    case ErrorCode.TRANSACTION_COORDINATOR_FENCED:
      return appendError;
    default:
      return commitErrorFor(error);
  }
}

export class GroupOffsets {
  private readonly config: GroupCoordinatorConfig;
  private readonly scheduler: Scheduler;
  private readonly metadata: GroupMetadataManager;
  private readonly membership: GroupMembership;
  private readonly partitionExists: (topic: string, partition: number) => boolean;

  constructor(options: GroupOffsetsOptions) {
    this.config = options.config;
    this.scheduler = options.scheduler;
    this.metadata = options.metadata;
    this.membership = options.membership;
    this.partitionExists = options.partitionExists;
  }

  /**
   * Resolves once the accepted offsets are appended to `__consumer_offsets`. One error code per
   * offset, in request order.
   */
  async commit(request: OffsetCommitRequest): Promise<OffsetCommitPartitionResult[]> {
    const group = this.metadata.group(request.groupId);
    const groupError = this.commitAuthorizationError(group, request);
    if (groupError !== ErrorCode.NONE) return everyOffsetFailed(request, groupError);
    const member = group?.members.get(request.memberId);
    // A commit is a sign of life, like a heartbeat.
    if (group !== undefined && member !== undefined) this.membership.keepAlive(group, member);
    return this.store(request, group === undefined);
  }

  /** Stores offsets whose committer was accepted elsewhere (a consumer-protocol group's member, coordinator.ts). */
  commitAccepted(request: OffsetCommitRequest): Promise<OffsetCommitPartitionResult[]> {
    return this.store(request, false);
  }

  /** The checks of each offset, then the append; `createsGroup` for a standalone consumer's first commit. */
  private async store(request: OffsetCommitRequest, createsGroup: boolean): Promise<OffsetCommitPartitionResult[]> {
    const errorCodes = this.offsetErrors(request);
    const accepted: OffsetToStore[] = request.offsets.filter((_, index) => errorCodes[index] === ErrorCode.NONE);
    if (accepted.length === 0) return offsetResults(request, errorCodes);
    try {
      await this.metadata.storeOffsets(request.groupId, accepted, BigInt(this.scheduler.now()));
      // A standalone consumer's first commit creates its group, so admin tools can see and delete it.
      if (createsGroup) this.metadata.addGroup(new Group(request.groupId));
    } catch (error) {
      return offsetResults(request, errorCodes, commitErrorFor(error));
    }
    return offsetResults(request, errorCodes);
  }

  /** Each offset's own error, in request order: metadata too large, a partition that does not exist, or none. */
  private offsetErrors(request: OffsetCommitRequest): KafkaErrorCode[] {
    return request.offsets.map((offset) => {
      if (offset.metadata !== null && offset.metadata.length > this.config.offsetMetadataMaxBytes)
        return ErrorCode.OFFSET_METADATA_TOO_LARGE;
      return this.partitionExists(offset.topic, offset.partition)
        ? ErrorCode.NONE
        : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    });
  }

  /**
   * TxnOffsetCommit (Kafka's doTxnCommitOffsets): the offsets are written in the producer's
   * transaction and count once its COMMIT marker reaches the group's partition. A member or
   * generation named (v3) must be the group's current one; a group unknown here is created, as a
   * standalone consumer's first commit creates it.
   */
  async commitTransactional(
    request: OffsetCommitRequest & { producerId: bigint; producerEpoch: number },
  ): Promise<OffsetCommitPartitionResult[]> {
    const group = this.metadata.group(request.groupId);
    let refused: KafkaErrorCode = ErrorCode.NONE;
    if (group?.state === "Dead") refused = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    else if (group?.isStaticMemberFenced(request.groupInstanceId ?? null, request.memberId) === true)
      refused = ErrorCode.FENCED_INSTANCE_ID;
    else if (request.memberId !== "" && group?.members.has(request.memberId) !== true)
      refused = ErrorCode.UNKNOWN_MEMBER_ID;
    else if (request.generationId >= 0 && request.generationId !== group?.generationId)
      refused = ErrorCode.ILLEGAL_GENERATION;
    if (refused !== ErrorCode.NONE) return everyOffsetFailed(request, refused);
    const errorCodes = this.offsetErrors(request);
    const accepted = request.offsets.filter((_, index) => errorCodes[index] === ErrorCode.NONE);
    try {
      await this.metadata.storeTransactionalOffsets(request.groupId, request, accepted, BigInt(this.scheduler.now()));
      if (group === undefined && accepted.length > 0) this.metadata.addGroup(new Group(request.groupId));
    } catch (error) {
      return offsetResults(request, errorCodes, transactionalCommitErrorFor(error));
    }
    return offsetResults(request, errorCodes);
  }

  /** `topics` null asks for every partition the group has committed; never-committed partitions answer offset -1. */
  fetch(groupId: string, topics: readonly TopicPartitionsQuery[] | null, requireStable = false): OffsetFetchResult {
    return { errorCode: ErrorCode.NONE, topics: this.metadata.fetchOffsets(groupId, topics, requireStable) };
  }

  /**
   * Who may commit: a consumer without group management (generation -1, member "") only while the
   * group has no members; anyone naming a member or generation must be the current member of the
   * current generation. The current generation may still commit while the group prepares a
   * rebalance (clients commit before rejoining), but not while it waits for the leader's SyncGroup.
   */
  private commitAuthorizationError(group: Group | undefined, request: OffsetCommitRequest): KafkaErrorCode {
    const claimsMembership = request.generationId >= 0 || request.memberId !== "";
    if (group === undefined) {
      if (request.generationId >= 0) return ErrorCode.ILLEGAL_GENERATION;
      return claimsMembership ? ErrorCode.UNKNOWN_MEMBER_ID : ErrorCode.NONE;
    }
    if (group.state === "Dead") return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (claimsMembership) {
      if (group.isStaticMemberFenced(request.groupInstanceId ?? null, request.memberId)) {
        return ErrorCode.FENCED_INSTANCE_ID;
      }
      if (!group.members.has(request.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    } else if (group.state !== "Empty") {
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (group.state === "CompletingRebalance") return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }
}
