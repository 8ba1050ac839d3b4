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
    const errorCodes: KafkaErrorCode[] = request.offsets.map((offset) => {
      if (offset.metadata !== null && offset.metadata.length > this.config.offsetMetadataMaxBytes) {
        return ErrorCode.OFFSET_METADATA_TOO_LARGE;
      }
      if (!this.partitionExists(offset.topic, offset.partition)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      return ErrorCode.NONE;
    });
    const accepted: OffsetToStore[] = request.offsets.filter((_, index) => errorCodes[index] === ErrorCode.NONE);
    if (accepted.length > 0) {
      try {
        await this.metadata.storeOffsets(request.groupId, accepted, BigInt(this.scheduler.now()));
        // A standalone consumer's first commit creates its group, so admin tools can see and delete it.
        if (createsGroup) this.metadata.addGroup(new Group(request.groupId));
      } catch (error) {
        const failed = commitErrorFor(error);
        errorCodes.forEach((code, index) => {
          if (code === ErrorCode.NONE) errorCodes[index] = failed;
        });
      }
    }
    return request.offsets.map((offset, index) => ({
      topic: offset.topic,
      partition: offset.partition,
      errorCode: errorCodes[index]!,
    }));
  }

  /** `topics` null asks for every partition the group has committed; never-committed partitions answer offset -1. */
  fetch(groupId: string, topics: readonly TopicPartitionsQuery[] | null): OffsetFetchResult {
    return { errorCode: ErrorCode.NONE, topics: this.metadata.fetchOffsets(groupId, topics) };
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
