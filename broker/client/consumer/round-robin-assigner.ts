// kafkajs's default assigner, with its protocol name and its exact assignment: members sorted by
// id, the topics' partitions taken in subscription order then partition order, dealt out one by
// one. A group mixing kafkajs and this client therefore gets the same split whichever is leader.
import { MemberAssignment, MemberMetadata } from "./assigner-protocol.ts";
import type { Assignment, PartitionAssigner } from "./types.ts";

export const roundRobin: PartitionAssigner = ({ cluster }) => ({
  name: "RoundRobinAssigner",
  version: 0,

  async assign({ members, topics }) {
    const memberIds = members.map(({ memberId }) => memberId).sort();
    const assignments = new Map<string, Assignment>();
    let next = 0;
    for (const topic of topics) {
      for (const { partitionId } of cluster.findTopicPartitionMetadata(topic)) {
        const memberId = memberIds[next++ % memberIds.length]!;
        let assignment = assignments.get(memberId);
        if (!assignment) assignments.set(memberId, (assignment = Object.create(null) as Assignment));
        (assignment[topic] ??= []).push(partitionId);
      }
    }
    // Members left without partitions get no entry: the coordinator hands them an empty assignment.
    return [...assignments].map(([memberId, assignment]) => ({
      memberId,
      memberAssignment: MemberAssignment.encode({ version: this.version, assignment, userData: Buffer.alloc(0) }),
    }));
  },

  protocol({ topics }) {
    return {
      name: this.name,
      metadata: MemberMetadata.encode({ version: this.version, topics, userData: Buffer.alloc(0) }),
    };
  },
});
