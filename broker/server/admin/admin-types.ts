// The JSON a broker's admin HTTP listener answers with (`--admin-port`), defined once: the listener
// builds these, the console reads them. Offsets are decimal strings (they are 64-bit in Kafka).

/** GET /v1/broker */
export interface BrokerInfo {
  nodeId: number;
  clusterId: string;
  /** host:port of the Kafka listener. */
  listener: string;
  /** Whether this broker is a controller quorum voter, and whether it is the active controller. */
  voter: boolean;
  activeController: boolean;
  startedAt: number;
  /** Whether the controller has unfenced this incarnation (it serves partitions only then). */
  unfenced: boolean;
}

/** GET /v1/partitions: the partitions this broker hosts a replica of. */
export interface HostedPartition {
  topic: string;
  partition: number;
  /** "leader" or "follower", as this broker sees its own replica. */
  role: "leader" | "follower";
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  /** Of this broker's replica. */
  logStartOffset: string;
  logEndOffset: string;
  highWatermark: string;
  segments: number;
  bytes: number;
  /** The leader's view of each follower (leader only): its fetched log end offset and when it last caught up. */
  followers?: Array<{ broker: number; logEndOffset: string; lastCaughtUpMs: number }>;
  /** retention.ms, retention.bytes, cleanup.policy, segment.bytes as configured for the topic. */
  configs: Record<string, string>;
}

/** GET /v1/groups: the groups this broker coordinates. */
export interface CoordinatedGroup {
  groupId: string;
  /** "classic" or "consumer" (KIP-848). */
  protocol: string;
  state: string;
  /** Classic: the generation id; KIP-848: the group epoch. */
  generation: number;
  /** Classic: the chosen assignor (protocol name); KIP-848: the server assignor. */
  assignor: string;
  members: Array<{
    memberId: string;
    clientId: string;
    clientHost: string;
    instanceId: string | null;
    /** KIP-848 only: the member's epoch. */
    memberEpoch?: number;
    /** Partitions per topic this member owns now. */
    assignment: Record<string, number[]>;
  }>;
  /** Committed offsets: topic → partition → offset. */
  offsets: Record<string, Record<string, string>>;
}

/** GET /v1/quorum: the KRaft controller quorum as this broker sees it. */
export interface QuorumInfo {
  leaderId: number | null;
  leaderEpoch: number;
  highWatermark: string;
  voters: Array<{ id: number; logEndOffset: string | null; lagRecords: string | null; lastFetchMs: number | null }>;
  /** The registered brokers from the metadata image: id, address, fenced. */
  brokers: Array<{ id: number; host: string; port: number; fenced: boolean; incarnationId?: string }>;
}
