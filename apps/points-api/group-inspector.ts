// What /api/groups needs from the cluster, behind an interface so the app can be built without a
// broker: a group's description (members and what they own) and the offsets to compute lag from.
import type { KafkaClient } from "../../broker/client/factory.ts";
import { AssignerProtocol } from "../../broker/client/index.ts";
import { AppError } from "../shared/errors.ts";

export interface GroupMemberView {
  memberId: string;
  clientId: string;
  clientHost: string;
  /** Partitions per topic, from the member's assignment. */
  assignment: Record<string, number[]>;
}

export interface GroupSnapshot {
  state: string;
  members: GroupMemberView[];
  /** Committed offset per partition of the topic; -1 where nothing is committed. */
  committed: Array<{ partition: number; offset: string }>;
  /** Log end (high) and start (low) offset per partition of the topic. */
  ends: Array<{ partition: number; high: string; low: string }>;
}

export interface GroupInspector {
  snapshot(groupId: string, topic: string): Promise<GroupSnapshot>;
}

type Admin = ReturnType<KafkaClient["admin"]>;

export function createKafkaGroupInspector(admin: Admin): GroupInspector {
  return {
    async snapshot(groupId, topic) {
      try {
        const [described, committed, ends] = await Promise.all([
          admin.describeGroups([groupId]),
          admin.fetchOffsets({ groupId, topics: [topic] }),
          admin.fetchTopicOffsets(topic),
        ]);
        const group = described.groups.find((g) => g.groupId === groupId);
        return {
          state: group?.state ?? "Dead",
          members: (group?.members ?? []).map((m) => ({
            memberId: m.memberId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            assignment:
              (m.memberAssignment.length > 0
                ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment
                : undefined) ?? {},
          })),
          committed:
            committed
              .find((t) => t.topic === topic)
              ?.partitions.map(({ partition, offset }) => ({ partition, offset })) ?? [],
          ends: ends.map(({ partition, high, low }) => ({ partition, high, low })),
        };
      } catch (error) {
        throw AppError.unavailable(
          `broker unavailable: could not describe group ${groupId} (${error instanceof Error ? error.message : String(error)})`,
          error,
        );
      }
    },
  };
}
