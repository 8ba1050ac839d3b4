// Moving a live topic to a new one with another partition count (fewer, typically: a topic's
// partitions can only grow), in four steps:
//   1. create the new topic (the source's replication factor, the asked partition count);
//   2. copy, while producers and consumers go on: every source partition from its log start to the
//      end it had when the copy began, each record to the partition its key hashes to on the new
//      topic (copy-partition.ts);
//   3. cutover: the operator stops the producers of the old topic, lets every consumer group of it
//      consume to the end and stops its members; the migration waits until it sees every group
//      empty and drained (cutover.ts), copies what was written since step 2, and checks that the
//      new topic holds exactly what it copied;
//   4. handover: each group's offsets on the new topic are committed at the new topic's ends (it
//      has processed every copied record), then the old topic's ends are read once more — a record
//      written there after the cutover is reported as an error, never silently left behind.
// The producers and consumers are then started on the new topic (COMMANDS_TOPIC for points-api
// and the ledger). The migration does not stop or start them: it tells, and waits to see it done.
//
// Owner of mutable state: one run of migrateTopic owns its admin client, producer and source
// reader, and disconnects them when it ends.
import { setTimeout as sleep } from "node:timers/promises";
import { Kafka } from "../../broker/client/kafka.ts";
import { logLevel } from "../../broker/client/logger.ts";
import { type CopiedRange, copyPartition } from "./copy-partition.ts";
import { foreignRecords, readiness, readyForCutover, waitingFor, writtenSince } from "./cutover.ts";
import { groupPosition, groupsConsuming, handOver } from "./groups.ts";
import { type PartitionBounds, SourceLog } from "./source-log.ts";

export interface MigrationOptions {
  brokers: string[];
  from: string;
  to: string;
  partitions: number;
  /** The groups to hand over; every group with offsets on `from` when left out. */
  groups?: string[];
  /** How long to wait for the cutover before giving up (nothing handed over then). */
  cutoverTimeoutMs?: number;
  /** How often the groups are looked at while waiting. */
  pollMs?: number;
  /** One line of progress; the migration goes on once it returns (or its promise settles). */
  say?: (line: string) => void | Promise<void>;
}

export interface GroupHandover {
  groupId: string;
  /** Its committed offsets on the old topic at the cutover, by partition. */
  fromOffsets: string[];
  /** The offsets committed for it on the new topic, by partition. */
  toOffsets: string[];
}

export interface MigrationReport {
  from: string;
  to: string;
  sourcePartitions: number;
  partitions: number;
  replicationFactor: number;
  /** Per source partition: the offsets copied and where their records went, both passes together. */
  copied: { sourcePartition: number; start: string; end: string; records: number; byTarget: number[] }[];
  /** Records copied during the live pass and at the cutover. */
  livePassRecords: number;
  cutoverPassRecords: number;
  /** Records on each partition of the new topic. */
  targetRecords: number[];
  groups: GroupHandover[];
}

/** A migration that cannot go on; the message says what to do. */
export class MigrationError extends Error {}

const DEFAULT_CUTOVER_TIMEOUT_MS = 10 * 60_000;

export async function migrateTopic(options: MigrationOptions): Promise<MigrationReport> {
  const say = options.say ?? (() => {});
  const { from, to, partitions } = options;
  if (from === to) throw new MigrationError("--from and --to name the same topic");
  const kafka = new Kafka({ clientId: "migrate-topic", brokers: options.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true });
  const source = new SourceLog(options.brokers);
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(from)) throw new MigrationError(`topic ${from} does not exist`);
    if (topics.includes(to))
      throw new MigrationError(`topic ${to} exists already: the migration copies into a topic it creates`);
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [from] })).topics;
    const sourcePartitions = metadata!.partitions.length;
    const replicationFactor = metadata!.partitions[0]?.replicas.length ?? 1;
    const groups = options.groups ?? (await groupsConsuming(admin, from));
    await say(
      groups.length > 0
        ? `groups to hand over: ${groups.join(", ")}`
        : `no consumer group has offsets on ${from}: nothing to hand over`,
    );

    await admin.createTopics({
      topics: [{ topic: to, numPartitions: partitions, replicationFactor }],
      waitForLeaders: true,
    });
    await say(
      `created ${to}: ${partitions} partitions, replication factor ${replicationFactor} (${from} has ${sourcePartitions})`,
    );
    await producer.connect();

    const copies: CopiedRange[][] = Array.from({ length: sourcePartitions }, () => []);
    const copyUpTo = async (previous: PartitionBounds[] | null, bounds: PartitionBounds[]): Promise<number> => {
      let records = 0;
      for (let p = 0; p < sourcePartitions; p++) {
        const start = previous?.[p]?.end ?? bounds[p]!.start;
        const copied = await copyPartition(source, producer, {
          from,
          to,
          partitions,
          sourcePartition: p,
          start,
          end: bounds[p]!.end,
        });
        copies[p]!.push(copied);
        records += copied.records;
        if (copied.records > 0)
          await say(
            `copied ${from}/${p} offsets ${copied.start}..${copied.end}: ${copied.records} records -> ${to} [${copied.byTarget.join(", ")}]`,
          );
      }
      return records;
    };

    const live = await source.bounds(from, sourcePartitions);
    await say(`copying ${from} while it is live, up to its ends now [${live.map((b) => b.end).join(", ")}]`);
    const livePassRecords = await copyUpTo(null, live);
    await say(`live copy done: ${livePassRecords} records`);

    await say(
      `cutover: stop every producer of ${from} now (points-api: start it again with COMMANDS_TOPIC=${to} only once this says "handed over"), ` +
        `let ${groups.length > 0 ? `group(s) ${groups.join(", ")}` : "its consumers"} consume ${from} to its end, then stop them`,
    );
    const cut = await waitForCutover(admin, source, from, sourcePartitions, groups, options, say);
    const cutoverPassRecords = await copyUpTo(live, cut.bounds);
    await say(`cutover copy done: ${cutoverPassRecords} records`);

    const copiedByTarget = new Array<number>(partitions).fill(0);
    for (const copy of copies.flat())
      copy.byTarget.forEach((n, t) => {
        copiedByTarget[t]! += n;
      });
    const targetEnds = (await source.bounds(to, partitions)).map((b) => b.end);
    const foreign = foreignRecords(copiedByTarget, targetEnds);
    if (foreign.some((n) => n !== 0))
      throw new MigrationError(
        `${to} holds records the migration did not write ([${foreign.join(", ")}] per partition): a producer wrote to it before the cutover; nothing was handed over`,
      );
    assertNoLateWrites(cut.bounds, await source.bounds(from, sourcePartitions), from, "before the handover");

    const handed: GroupHandover[] = [];
    for (const position of cut.positions) {
      await handOver(admin, position.groupId, to, targetEnds);
      handed.push({
        groupId: position.groupId,
        fromOffsets: position.committed.map(String),
        toOffsets: targetEnds.map(String),
      });
      await say(`handed over group ${position.groupId}: ${to} offsets [${targetEnds.join(", ")}]`);
    }
    assertNoLateWrites(cut.bounds, await source.bounds(from, sourcePartitions), from, "during the handover");

    return {
      from,
      to,
      sourcePartitions,
      partitions,
      replicationFactor,
      copied: copies.map((ranges, p) => ({
        sourcePartition: p,
        start: String(ranges[0]?.start ?? 0n),
        end: String(ranges.at(-1)?.end ?? 0n),
        records: ranges.reduce((sum, r) => sum + r.records, 0),
        byTarget: ranges.reduce(
          (sum, r) => sum.map((n, t) => n + r.byTarget[t]!),
          new Array<number>(partitions).fill(0),
        ),
      })),
      livePassRecords,
      cutoverPassRecords,
      targetRecords: targetEnds.map(Number),
      groups: handed,
    };
  } finally {
    source.disconnect();
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
  }
}

function assertNoLateWrites(cut: PartitionBounds[], now: PartitionBounds[], topic: string, when: string): void {
  const late = writtenSince(cut, now);
  if (late.some((n) => n !== 0))
    throw new MigrationError(
      `${late.reduce((a, b) => a + b, 0)} records were written to ${topic} after the cutover (${when}; [${late.join(", ")}] per partition) and are not on the new topic: a producer of ${topic} is still running`,
    );
}

/** Waits until every group is empty and has consumed the topic to the ends read in the same look. */
async function waitForCutover(
  admin: ReturnType<Kafka["admin"]>,
  source: SourceLog,
  topic: string,
  sourcePartitions: number,
  groups: string[],
  options: MigrationOptions,
  say: (line: string) => void | Promise<void>,
) {
  const deadline = Date.now() + (options.cutoverTimeoutMs ?? DEFAULT_CUTOVER_TIMEOUT_MS);
  let said = "";
  for (;;) {
    const bounds = await source.bounds(topic, sourcePartitions);
    const positions = await Promise.all(groups.map((g) => groupPosition(admin, g, topic, sourcePartitions)));
    // The ends are read before the groups: a group drained against them has processed at least those records.
    const states = readiness(bounds, positions);
    if (readyForCutover(states)) {
      await say(`cutover at ${topic} ends [${bounds.map((b) => b.end).join(", ")}]: every group empty and drained`);
      return { bounds, positions };
    }
    const waiting = states.map((s) => waitingFor(s, topic)).filter((line) => line !== null);
    const line = `waiting: ${waiting.join("; ")}`;
    // Said again when what is awaited changes, not each time a count moves.
    const gist = line.replace(/\d+/g, "#");
    if (gist !== said) await say(line);
    said = gist;
    if (Date.now() >= deadline)
      throw new MigrationError(
        `no cutover within ${Math.round((options.cutoverTimeoutMs ?? DEFAULT_CUTOVER_TIMEOUT_MS) / 1000)} s (${waiting.join("; ")}); nothing was handed over: delete ${options.to} and run again`,
      );
    await sleep(options.pollMs ?? 250);
  }
}
