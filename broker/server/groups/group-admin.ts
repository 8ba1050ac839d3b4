// Group administration (DescribeGroups, ListGroups, DeleteGroups): what admin tools see of the
// groups this coordinator holds, and deleting an empty group together with its committed offsets.
//
// Ownership: each group's state is owned by that group's serial queue (coordinator.ts).
// `describe` and `delete` run inside the queue of the group they name; `list` runs outside any
// queue and only reads, which is safe because queue tasks never yield in the middle of a change.
// Kafka error conditions are returned as error codes, never thrown.

import { ErrorCode } from "../../protocol/errors.ts";
import { EMPTY_BYTES, GROUP_STATES } from "./group.ts";
import type { GroupMetadataManager } from "./group-metadata-manager.ts";
import type { GroupTimers } from "./group-timers.ts";
import type { DescribedGroup, GroupState, KafkaErrorCode, ListedGroup } from "./types.ts";

export function describedUnknownGroup(groupId: string, errorCode: KafkaErrorCode): DescribedGroup {
  return { groupId, errorCode, state: "Dead", protocolType: "", protocolName: "", members: [] };
}

export class GroupAdmin {
  constructor(
    private readonly metadata: GroupMetadataManager,
    private readonly timers: GroupTimers,
  ) {}

  describe(groupId: string): DescribedGroup {
    const group = this.metadata.group(groupId);
    if (group === undefined) return describedUnknownGroup(groupId, ErrorCode.NONE);
    // Like Kafka, member metadata and assignments are shown only for a settled (Stable) group.
    const stableProtocol = group.state === "Stable" ? group.protocolName : null;
    return {
      groupId,
      errorCode: ErrorCode.NONE,
      state: group.state,
      protocolType: group.protocolType ?? "",
      protocolName: stableProtocol ?? "",
      members: [...group.members.values()].map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        metadata: stableProtocol === null ? EMPTY_BYTES : member.metadataFor(stableProtocol),
        assignment: stableProtocol === null ? EMPTY_BYTES : member.assignment,
      })),
    };
  }

  /** `statesFilter` as in ListGroups v4: empty or absent lists every group; names match case-insensitively. */
  list(statesFilter?: readonly string[]): ListedGroup[] {
    const wanted =
      statesFilter === undefined || statesFilter.length === 0
        ? new Set<GroupState>(GROUP_STATES)
        : new Set(
            GROUP_STATES.filter((state) => statesFilter.some((name) => name.toLowerCase() === state.toLowerCase())),
          );
    return [...this.metadata.allGroups()]
      .filter((group) => wanted.has(group.state))
      .map((group) => ({ groupId: group.groupId, protocolType: group.protocolType ?? "", state: group.state }));
  }

  /** Deletes an empty group together with its committed offsets (tombstones in `__consumer_offsets`). */
  async delete(groupId: string): Promise<KafkaErrorCode> {
    const group = this.metadata.group(groupId);
    if (group === undefined) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (group.state !== "Empty" || group.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    try {
      await this.metadata.deleteOffsets(groupId);
    } catch {
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    // Ids handed out with MEMBER_ID_REQUIRED die with the group.
    this.timers.stopAll(group);
    group.transitionTo("Dead");
    this.metadata.removeGroup(groupId);
    return ErrorCode.NONE;
  }
}
