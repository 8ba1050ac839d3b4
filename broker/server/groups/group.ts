// The state of one consumer group under the classic (JoinGroup/SyncGroup) protocol, and the
// rules that only look at that state. Timers and the order of operations belong to membership.ts.
//
// Ownership: a Group and its members are mutated only from that group's serial queue (see
// coordinator.ts), by the modules the coordinator runs there.

import type { Timer } from "./scheduler.ts";
import type { GroupState, JoinGroupResult, MemberProtocol, SyncGroupResult } from "./types.ts";

export const GROUP_STATES: readonly GroupState[] = [
  "Empty",
  "PreparingRebalance",
  "CompletingRebalance",
  "Stable",
  "Dead",
];

const ALLOWED_PREVIOUS_STATES: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Empty: ["PreparingRebalance"],
  PreparingRebalance: ["Empty", "Stable", "CompletingRebalance"],
  CompletingRebalance: ["PreparingRebalance"],
  Stable: ["CompletingRebalance"],
  Dead: ["Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"],
};

export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

/** A response the coordinator has promised but not yet given (a parked JoinGroup or SyncGroup). */
export class PendingResponse<Result> {
  readonly promise: Promise<Result>;
  private deliver!: (result: Result) => void;

  constructor() {
    this.promise = new Promise<Result>((resolve) => {
      this.deliver = resolve;
    });
  }

  answer(result: Result): void {
    this.deliver(result);
  }
}

export interface GroupMemberSettings {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly MemberProtocol[];
}

export class GroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly MemberProtocol[];
  assignment: Buffer = EMPTY_BYTES;
  awaitingJoin: PendingResponse<JoinGroupResult> | null = null;
  awaitingSync: PendingResponse<SyncGroupResult> | null = null;
  sessionTimer: Timer | null = null;

  constructor(settings: GroupMemberSettings) {
    this.memberId = settings.memberId;
    this.groupInstanceId = settings.groupInstanceId;
    this.clientId = settings.clientId;
    this.clientHost = settings.clientHost;
    this.sessionTimeoutMs = settings.sessionTimeoutMs;
    this.rebalanceTimeoutMs = settings.rebalanceTimeoutMs;
    this.protocolType = settings.protocolType;
    this.protocols = settings.protocols;
  }

  /** A parked member is waiting on the coordinator, so its session cannot lapse meanwhile. */
  get isParked(): boolean {
    return this.awaitingJoin !== null || this.awaitingSync !== null;
  }

  supports(protocolName: string): boolean {
    return this.protocols.some((protocol) => protocol.name === protocolName);
  }

  metadataFor(protocolName: string): Buffer {
    const protocol = this.protocols.find((candidate) => candidate.name === protocolName);
    if (protocol === undefined) throw new Error(`member ${this.memberId} does not support ${protocolName}`);
    return protocol.metadata;
  }

  hasSameProtocols(protocols: readonly MemberProtocol[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every(
        (protocol, index) =>
          protocol.name === this.protocols[index]!.name && protocol.metadata.equals(this.protocols[index]!.metadata),
      )
    );
  }

  /** The member's vote: its most preferred protocol among those every member supports. */
  favouriteAmong(candidates: ReadonlySet<string>): string | undefined {
    return this.protocols.find((protocol) => candidates.has(protocol.name))?.name;
  }
}

export class Group {
  readonly groupId: string;
  state: GroupState = "Empty";
  generationId = 0;
  /** Kept after the last member leaves, as Kafka does, so listings still show what the group was. */
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** In join order: the first member becomes leader when there is none. */
  readonly members = new Map<string, GroupMember>();
  /** Static members (KIP-345): group.instance.id -> the member id that instance holds now. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED whose owners have not joined with them yet. */
  readonly pendingMemberTimers = new Map<string, Timer>();
  rebalanceTimer: Timer | null = null;
  /** Set while an empty group waits group.initial.rebalance.delay.ms for more members to arrive. */
  initialDelay: { remainingMs: number; memberJoinedDuringDelay: boolean } | null = null;

  constructor(groupId: string) {
    this.groupId = groupId;
  }

  transitionTo(next: GroupState): void {
    if (!ALLOWED_PREVIOUS_STATES[next].includes(this.state)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.state} -> ${next}`);
    }
    this.state = next;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  addMember(member: GroupMember): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.leaderId ??= member.memberId;
  }

  removeMember(memberId: string): void {
    const instanceId = this.members.get(memberId)?.groupInstanceId ?? null;
    if (instanceId !== null && this.staticMembers.get(instanceId) === memberId) this.staticMembers.delete(instanceId);
    this.members.delete(memberId);
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
  }

  /** The member that holds `groupInstanceId` now, if any. */
  staticMember(groupInstanceId: string | null): GroupMember | undefined {
    if (groupInstanceId === null) return undefined;
    const memberId = this.staticMembers.get(groupInstanceId);
    return memberId === undefined ? undefined : this.members.get(memberId);
  }

  /** Kafka's fencing rule: the instance id is held by another member id than the one asking. */
  isStaticMemberFenced(groupInstanceId: string | null, memberId: string): boolean {
    if (groupInstanceId === null) return false;
    const holder = this.staticMembers.get(groupInstanceId);
    return holder !== undefined && holder !== memberId;
  }

  /**
   * A static member restarted under a new member id: `replacement` takes the old member's place
   * (its position in join order, its leadership, its instance id); the old id is gone.
   */
  replaceMember(previousMemberId: string, replacement: GroupMember): void {
    const entries = [...this.members].map(([memberId, member]): [string, GroupMember] =>
      memberId === previousMemberId ? [replacement.memberId, replacement] : [memberId, member],
    );
    this.members.clear();
    for (const [memberId, member] of entries) this.members.set(memberId, member);
    if (this.isLeader(previousMemberId)) this.leaderId = replacement.memberId;
    if (replacement.groupInstanceId !== null) this.staticMembers.set(replacement.groupInstanceId, replacement.memberId);
  }

  /**
   * Kafka's maybeElectNewJoinedLeader: a leader that did not rejoin (a static member, kept until its
   * session runs out) hands the lead to a member that did. False when no member rejoined.
   */
  electJoinedLeader(): boolean {
    const leader = this.leaderId === null ? undefined : this.members.get(this.leaderId);
    if (leader !== undefined && leader.awaitingJoin !== null) return true;
    for (const member of this.members.values()) {
      if (member.awaitingJoin !== null) {
        this.leaderId = member.memberId;
        return true;
      }
    }
    return false;
  }

  /** How long a rebalance waits for members to rejoin: the longest any member asked for. */
  rebalanceTimeoutMs(): number {
    let longest = 0;
    for (const member of this.members.values()) longest = Math.max(longest, member.rebalanceTimeoutMs);
    return longest;
  }

  allMembersRejoined(): boolean {
    if (this.pendingMemberTimers.size > 0) return false;
    for (const member of this.members.values()) if (member.awaitingJoin === null) return false;
    return true;
  }

  /** Protocols every member (except `ignoredMemberId`, who may be changing its set) supports. */
  commonProtocols(ignoredMemberId?: string): Set<string> | null {
    const others = [...this.members.values()].filter((member) => member.memberId !== ignoredMemberId);
    if (others.length === 0) return null;
    const common = new Set(others[0]!.protocols.map((protocol) => protocol.name));
    for (const member of others.slice(1)) {
      for (const name of common) if (!member.supports(name)) common.delete(name);
    }
    return common;
  }

  /** Whether a member joining (or rejoining) with these protocols could share one with the rest. */
  acceptsProtocols(protocolType: string, protocols: readonly MemberProtocol[], joiningMemberId: string): boolean {
    if (protocolType === "" || protocols.length === 0) return false;
    const others = this.commonProtocols(joiningMemberId);
    if (others === null) return true;
    if (protocolType !== this.protocolType) return false;
    return protocols.some((protocol) => others.has(protocol.name));
  }

  /**
   * Kafka's vote: each member votes for its most preferred protocol among those all members
   * support; the most votes wins. Ties go to the candidate listed first by the earliest member,
   * to keep the choice deterministic.
   */
  selectProtocol(): string {
    const candidates = this.commonProtocols();
    if (candidates === null || candidates.size === 0) {
      throw new Error(`group ${this.groupId}: no protocol common to all members`);
    }
    const votes = new Map<string, number>();
    for (const member of this.members.values()) {
      const favourite = member.favouriteAmong(candidates)!;
      votes.set(favourite, (votes.get(favourite) ?? 0) + 1);
    }
    const firstMember = this.members.values().next().value!;
    let winner: string | null = null;
    let winnerVotes = -1;
    for (const protocol of firstMember.protocols) {
      const count = candidates.has(protocol.name) ? (votes.get(protocol.name) ?? 0) : -1;
      if (count > winnerVotes) {
        winner = protocol.name;
        winnerVotes = count;
      }
    }
    return winner!;
  }
}
