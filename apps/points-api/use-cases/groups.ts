// The demo's consumer groups as the broker sees them: who is in each, what each owns, how far
// behind the group is per partition.
import { COMMANDS_TOPIC, EVENTS_TOPIC } from "../../shared/topics.ts";
import type { GroupInspector } from "../group-inspector.ts";

/** Each service's consumer group and the topic it consumes. */
export const watchedGroups = [
  { groupId: "ledger", topic: COMMANDS_TOPIC },
  { groupId: "notification", topic: EVENTS_TOPIC },
  { groupId: "analytics", topic: EVENTS_TOPIC },
] as const;

export interface GroupReport {
  groupId: string;
  topic: string;
  state: string;
  members: Array<{ memberId: string; clientId: string; clientHost: string; partitions: number[] }>;
  partitions: Array<{ partition: number; committedOffset: string | null; endOffset: string; lag: number }>;
  totalLag: number;
}

/** `commandsTopic`: where the ledger reads commands (COMMANDS_TOPIC, after a migration). */
export function createGroupUseCases(inspector: GroupInspector, commandsTopic: string = COMMANDS_TOPIC) {
  async function report(groupId: string, topic: string): Promise<GroupReport> {
    const snapshot = await inspector.snapshot(groupId, topic);
    const committed = new Map(snapshot.committed.map((c) => [c.partition, BigInt(c.offset)]));
    const partitions = [...snapshot.ends]
      .sort((a, b) => a.partition - b.partition)
      .map(({ partition, high, low }) => {
        const offset = committed.get(partition) ?? -1n;
        // The services consume from the beginning: with nothing committed, all that is there is lag.
        const position = offset >= 0n ? offset : BigInt(low);
        const lag = BigInt(high) - position;
        return {
          partition,
          committedOffset: offset >= 0n ? offset.toString() : null,
          endOffset: high,
          lag: Number(lag > 0n ? lag : 0n),
        };
      });
    return {
      groupId,
      topic,
      state: snapshot.state,
      members: snapshot.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        partitions: [...(m.assignment[topic] ?? [])].sort((a, b) => a - b),
      })),
      partitions,
      totalLag: partitions.reduce((sum, p) => sum + p.lag, 0),
    };
  }

  return {
    async groups(): Promise<{ groups: GroupReport[] }> {
      const topicOf = (groupId: string, topic: string) => (groupId === "ledger" ? commandsTopic : topic);
      return {
        groups: await Promise.all(watchedGroups.map(({ groupId, topic }) => report(groupId, topicOf(groupId, topic)))),
      };
    },
  };
}

export type GroupUseCases = ReturnType<typeof createGroupUseCases>;
