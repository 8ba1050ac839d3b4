// One consumer group of the scaling lab: `members` consumers of our client in this process, all in
// one group on one topic, each a ledger-like member — it handles one command at a time (the
// client's default partitionsConsumedConcurrently of 1, like Java's single-threaded poll loop), and
// handling a command is a timer wait of `ioMs` (a call to a payment system, say) — so what one member
// can do is bounded by the wait, not by this machine's cores, and more throughput can only come from
// more members, each with partitions of its own.
//
// In-process members rather than processes: a member's cost here is a timer per command and its
// share of fetches, so 8 of them fit in one process with room to spare, the group starts in well
// under a second instead of a process start each, and the lab sees every consumption at once with
// one clock; the group protocol the broker runs is the same either way.
//
// Owner of mutable state: a MemberGroup owns its consumers, what each last joined with, and the log
// of what was consumed (appended by the consumers' handlers, read by the lab).
import {
  type Admin,
  AssignerProtocol,
  type Consumer,
  type EachMessagePayload,
  type Kafka,
} from "../../../broker/client/index.ts";
import { decodeCommand } from "./topics.ts";

export interface Consumption {
  /** "m1" … */
  member: string;
  partition: number;
  offset: number;
  userId: string;
  seq: number;
  /** When its handling ended (Date.now()). */
  at: number;
}

export interface MemberGroupOptions {
  groupId: string;
  topic: string;
  partitions: number;
  members: number;
  /** The handler's wait per command, in ms. */
  ioMs: number;
}

/** Who owns what once the group is stable, member by member ("m1" …). */
export type Ownership = { member: string; partitions: number[] }[];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Quick to notice a rebalance (heartbeats) and not held in a long poll while others join.
const CONSUMER_SETTINGS = { sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 250 };

export class MemberGroup {
  private readonly consumers: { member: string; consumer: Consumer }[] = [];
  /** Each member's last GROUP_JOIN: its member id and what it was given. */
  private readonly joined = new Map<string, { memberId: string; partitions: number[] }>();
  private readonly log: Consumption[] = [];
  private readonly crashes: string[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly options: MemberGroupOptions,
  ) {}

  /** Connects every member, subscribes it from the beginning and runs it; they join together. */
  async start(): Promise<void> {
    const { groupId, topic, ioMs } = this.options;
    for (let i = 1; i <= this.options.members; i++) {
      const member = `m${i}`;
      const consumer = this.kafka.consumer({ groupId, ...CONSUMER_SETTINGS });
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        this.joined.set(member, {
          memberId: payload.memberId,
          partitions: [...(payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b),
        });
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        this.crashes.push(`${member}: ${payload.error.message}`);
      });
      this.consumers.push({ member, consumer });
    }
    await Promise.all(
      this.consumers.map(async ({ member, consumer }) => {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ partition, message }: EachMessagePayload) => {
            const { userId, seq } = decodeCommand(message.value);
            await sleep(ioMs);
            this.log.push({ member, partition, offset: Number(message.offset), userId, seq, at: Date.now() });
          },
        });
      }),
    );
  }

  /**
   * The ownership once the broker says the group is Stable with every member in it, each member's
   * own last join agrees with what the broker handed it, every partition has exactly one owner, and
   * that held for `quietMs`; null if that did not happen within `timeoutMs`.
   */
  async waitUntilStable(admin: Admin, { timeoutMs, quietMs }: { timeoutMs: number; quietMs: number }) {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    let since = Date.now();
    while (Date.now() < deadline) {
      const ownership = await this.stableOwnership(admin).catch(() => null);
      const state = JSON.stringify(ownership);
      if (state !== last) {
        last = state;
        since = Date.now();
      }
      if (ownership && Date.now() - since >= quietMs) return ownership;
      await sleep(50);
    }
    return null;
  }

  private async stableOwnership(admin: Admin): Promise<Ownership | null> {
    const { groups } = await admin.describeGroups([this.options.groupId]);
    const group = groups[0];
    if (group?.state !== "Stable" || group.members.length !== this.consumers.length) return null;
    const given = new Map(
      group.members.map((m) => [
        m.memberId,
        [...(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[this.options.topic] ?? [])].sort(
          (a, b) => a - b,
        ),
      ]),
    );
    const ownership: Ownership = [];
    for (const { member } of this.consumers) {
      const own = this.joined.get(member);
      const broker = own && given.get(own.memberId);
      if (!own || !broker || broker.join(",") !== own.partitions.join(",")) return null;
      ownership.push({ member, partitions: own.partitions });
    }
    const owned = ownership.flatMap((o) => o.partitions);
    if (owned.length !== this.options.partitions || new Set(owned).size !== this.options.partitions) return null;
    return ownership;
  }

  /** Everything consumed so far, in the order it was consumed. */
  consumed(): readonly Consumption[] {
    return this.log;
  }

  /** Members whose consumer crashed (an error the lab does not expect). */
  crashed(): string[] {
    return [...this.crashes];
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map(({ consumer }) => consumer.disconnect()));
  }
}
