// Scenario 14: a topic cannot shrink (scenario 13), so to have fewer partitions the commands move to
// a new topic. While keyed commands of several users flow into a 6-partition points.commands and a
// consumer group reads it, the migration of seed/migrate/migrate-topic.ts runs in this process: it
// copies the topic into a 3-partition points.commands.v2, and at its cutover lines the scenario
// stops the producer, then the group's members once they have drained the old topic. Checked
// afterwards: on the new topic each user's commands are in the order they were produced, all on
// the partition murmur2 gives; a member of the group started on the new topic gets exactly the
// commands the group had not consumed; commands produced after the cutover are on the new topic.
//
// Ownership: one run owns its command flow (a producer and the list of what it sent) and its group
// members; the migration owns its own clients.
import { setTimeout as pause } from "node:timers/promises";
import { type PointsCommand, pointsCommandSchema } from "../../../apps/shared/topics.ts";
import { KafkaJSProtocolError, type Producer } from "../../../broker/client/index.ts";
import { murmur2 } from "../../../broker/client/producer/partitioners.ts";
import { migrateTopic } from "../../migrate/migrate-topic.ts";
import { reportLines } from "../../migrate/report.ts";
import { eventually } from "../admin-views.ts";
import type { Scenario } from "../scenario.ts";
import {
  type Clients,
  COMMANDS_TOPIC,
  pointsCommand,
  startMember,
  userIds,
  waitUntil,
  withClients,
} from "../toolkit.ts";

const FROM = COMMANDS_TOPIC;
const TO = `${COMMANDS_TOPIC}.v2`;
const FROM_PARTITIONS = 6;
const TO_PARTITIONS = 3;
const USERS = 8;
const GROUP = "ledger";
/** Batches (one command per user) sent after the handover, straight to the new topic. */
const AFTER_CUTOVER_BATCHES = 3;

/** The default partitioner's choice for a string key: positive murmur2 of its UTF-8 bytes, modulo the count. */
function partitionOf(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, "utf8")) & 0x7fffffff) % partitions;
}

/** The command's place in its user's history: pointsCommand numbers them `<user>-cmd-<n>`. */
function sequenceOf(commandId: string): number {
  return Number(commandId.slice(commandId.lastIndexOf("-") + 1));
}

function commandIdOf(value: string | null): string {
  return pointsCommandSchema.parse(JSON.parse(value ?? "")).commandId;
}

/**
 * Points terminals at work: one command per user in each batch, numbered per user, a batch at a
 * time (each send awaited, so a user's commands are produced in their numbered order). The rate
 * (a batch every `everyMs`) only keeps the volume small; nothing waits on it.
 */
class CommandFlow {
  readonly sent: PointsCommand[] = [];
  private batches = 0;
  private running = false;
  private failure: unknown;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly producer: Producer,
    private readonly users: string[],
    private readonly everyMs = 10,
    private readonly maxBatches = 1_500,
  ) {}

  async sendBatch(topic: string): Promise<PointsCommand[]> {
    const batch = this.users.map((user) => pointsCommand(user, this.batches + 1));
    await this.producer.send({
      topic,
      acks: -1,
      messages: batch.map((c) => ({ key: c.userId, value: JSON.stringify(c) })),
    });
    this.batches += 1;
    this.sent.push(...batch);
    return batch;
  }

  start(topic: string): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running && this.batches < this.maxBatches) {
        await this.sendBatch(topic);
        await pause(this.everyMs);
      }
    })().catch((error: unknown) => {
      this.failure = error;
    });
  }

  /** Stops after the batch in flight; a send that failed ends the scenario here. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    if (this.failure !== undefined) throw this.failure;
  }
}

export const migrateToFewerPartitions: Scenario = {
  name: "migrate-to-fewer-partitions",
  number: 14,
  title: { en: "Migrating a topic to fewer partitions", ko: "파티션이 더 적은 토픽으로 마이그레이션" },
  concept: {
    en: "Partitions cannot be removed, so fewer partitions means a new topic: copy every record keyed as before (each user's commands stay in order, on the partition their key hashes to), then at a cutover stop the producers, let the consumer groups drain the old topic and hand their offsets over to the new one.",
    ko: "파티션은 없앨 수 없으므로, 파티션을 줄이려면 새 토픽이 필요합니다. 모든 레코드를 같은 키로 옮겨 담고(사용자마다 커맨드 순서가 유지되고, 키의 해시가 가리키는 파티션에 놓입니다), 컷오버 때 프로듀서를 멈추고 컨슈머 그룹이 옛 토픽을 끝까지 읽게 한 뒤 그 오프셋을 새 토픽으로 넘겨줍니다.",
  },
  brokers: 1,
  // The group's members join at once, without the broker's wait for more members.
  brokerConfigs: { "group.initial.rebalance.delay.ms": "0" },
  async run({ step, explain, look, check, system }) {
    const users = userIds(USERS);
    await withClients(system, async (clients) => {
      const admin = await clients.admin();
      step({
        en: `Create ${FROM} with ${FROM_PARTITIONS} partitions, then try to shrink it to ${TO_PARTITIONS}`,
        ko: `파티션 ${FROM_PARTITIONS}개짜리 ${FROM} 토픽을 만들고, ${TO_PARTITIONS}개로 줄여 봅니다`,
      });
      await clients.createTopic(FROM, FROM_PARTITIONS);
      const refusal = await admin.createPartitions({ topicPartitions: [{ topic: FROM, count: TO_PARTITIONS }] }).then(
        () => undefined,
        (error: unknown) => error,
      );
      check(
        refusal instanceof KafkaJSProtocolError && refusal.type === "INVALID_PARTITIONS",
        {
          en: "shrinking is refused (INVALID_PARTITIONS, as in scenario 13): fewer partitions needs a new topic",
          ko: "줄이기는 거절됩니다(시나리오 13처럼 INVALID_PARTITIONS). 파티션을 줄이려면 새 토픽이 필요합니다",
        },
        refusal instanceof KafkaJSProtocolError ? refusal.type : String(refusal),
      );

      step({
        en: `Group ${GROUP} (two members) reads ${FROM} while ${USERS} users' commands flow into it, keyed by userId`,
        ko: `${GROUP} 컨슈머 그룹(멤버 2개)이 ${FROM} 토픽을 읽는 동안, 사용자 ${USERS}명의 커맨드가 userId를 키로 계속 들어옵니다`,
      });
      const members = await Promise.all(
        ["ledger-1", "ledger-2"].map((name) => startMember(clients, name, GROUP, FROM)),
      );
      await waitUntil(`both members of ${GROUP} to own ${FROM_PARTITIONS / 2} partitions each`, () =>
        members.every((m) => !m.rebalancing && m.assigned.length === FROM_PARTITIONS / 2),
      );
      const flow = new CommandFlow(await clients.producer({ idempotent: true }), users);
      flow.start(FROM);
      await waitUntil("the group to consume its first commands", () => members.some((m) => m.seen.length > 0));
      explain({
        en: `${members.map((m) => `${m.name} owns partitions [${m.assigned.join(", ")}]`).join(", ")}; each user's commands go to murmur2(userId) % ${FROM_PARTITIONS}.`,
        ko: `파티션 분배: ${members.map((m) => `${m.name} → [${m.assigned.join(", ")}]`).join(", ")}. 사용자별 커맨드는 murmur2(userId) % ${FROM_PARTITIONS} 파티션으로 갑니다.`,
      });

      step({
        en: `Migrate ${FROM} to a new ${TO} with ${TO_PARTITIONS} partitions (npm run migrate-topic, here in-process)`,
        ko: `${FROM} 토픽을 파티션 ${TO_PARTITIONS}개짜리 새 토픽 ${TO}로 마이그레이션합니다 (npm run migrate-topic을 이 프로세스 안에서 실행)`,
      });
      explain({
        en: "It creates the new topic and copies while everything runs; at the cutover it asks for the producers, then the drained group, to stop; it copies the rest and commits the group's offsets on the new topic.",
        ko: "새 토픽을 만들고 모든 것이 돌아가는 동안 복사합니다. 컷오버에서 프로듀서를, 이어서 끝까지 읽은 그룹을 멈추라고 하고, 남은 것을 복사한 뒤 그룹의 오프셋을 새 토픽에 커밋합니다.",
      });
      const oldConsumed = () => members.flatMap((m) => m.seen.map((r) => commandIdOf(r.value)));
      let membersStopped = false;
      const report = await migrateTopic({
        brokers: system.bootstrap,
        from: FROM,
        to: TO,
        partitions: TO_PARTITIONS,
        groups: [GROUP],
        cutoverTimeoutMs: 30_000,
        pollMs: 100,
        say: async (line) => {
          explain({ en: `migrate-topic> ${line}`, ko: `migrate-topic> ${line}` });
          if (line.startsWith("copying ")) {
            // Commands written after the live copy read its ends: the cutover has them left to copy.
            const sentBefore = flow.sent.length;
            await waitUntil("more commands to flow during the live copy", () => flow.sent.length > sentBefore);
          } else if (line.startsWith("cutover:")) {
            step({
              en: `Cutover: stop the producer of ${FROM} (the points terminals)`,
              ko: `컷오버: ${FROM}의 프로듀서(포인트 단말)를 멈춥니다`,
            });
            await flow.stop();
            explain({
              en: `${flow.sent.length} commands were produced to ${FROM} in all; the group consumes what is left of them.`,
              ko: `${FROM}에는 모두 ${flow.sent.length}개의 커맨드가 들어갔고, 그룹이 남은 것을 마저 읽습니다.`,
            });
          } else if (/stop its \d+ member\(s\) now/.test(line) && !membersStopped) {
            membersStopped = true;
            step({
              en: `Group ${GROUP} has consumed ${FROM} to its end and committed: stop its members`,
              ko: `${GROUP} 그룹이 ${FROM} 토픽을 끝까지 읽고 커밋했습니다. 멤버들을 멈춥니다`,
            });
            await Promise.all(members.map((m) => m.consumer.disconnect()));
          }
        },
      });
      for (const line of reportLines(report)) explain({ en: line, ko: line });
      explain({
        en: `Why the new topic's ends: the group had processed every command of ${FROM}, so it has processed every copy too. Offsets of the old topic mean nothing on the new one (records from several old partitions are interleaved there); only "all of it" translates exactly.`,
        ko: `왜 새 토픽의 끝 오프셋일까요? 그룹이 ${FROM}의 커맨드를 모두 처리했으니 복사본도 모두 처리한 셈입니다. 옛 토픽의 오프셋은 새 토픽에서 의미가 없고(여러 옛 파티션의 레코드가 섞여 들어가므로), "전부 읽었다"만 정확히 옮길 수 있습니다.`,
      });
      const consumedBefore = oldConsumed();
      const produced = new Set(flow.sent.map((c) => c.commandId));
      check(
        consumedBefore.length === produced.size &&
          new Set(consumedBefore).size === produced.size &&
          consumedBefore.every((id) => produced.has(id)),
        {
          en: `before the handover, group ${GROUP} had consumed every command of ${FROM}, each once`,
          ko: `오프셋을 넘겨주기 전에 ${GROUP} 그룹은 ${FROM}의 커맨드를 모두 한 번씩 읽었습니다`,
        },
        `${consumedBefore.length} consumed of ${produced.size} produced; ${report.cutoverPassRecords} copied at the cutover`,
      );
      look("groups", {
        en: `group ${GROUP}: its committed offsets now on ${TO}`,
        ko: `${GROUP} 그룹: 이제 ${TO}에 커밋된 오프셋`,
      });

      step({
        en: `After the cutover the terminals produce to ${TO}: ${AFTER_CUTOVER_BATCHES} more commands per user`,
        ko: `컷오버 뒤 단말은 ${TO}로 보냅니다: 사용자마다 커맨드 ${AFTER_CUTOVER_BATCHES}개씩 더`,
      });
      const afterCutover: PointsCommand[] = [];
      for (let i = 0; i < AFTER_CUTOVER_BATCHES; i++) afterCutover.push(...(await flow.sendBatch(TO)));
      const oldTotal = (await admin.fetchTopicOffsets(FROM)).reduce((sum, p) => sum + Number(p.high), 0);
      const newTotal = (await admin.fetchTopicOffsets(TO)).reduce((sum, p) => sum + Number(p.high), 0);
      check(
        oldTotal === produced.size && newTotal === produced.size + afterCutover.length,
        {
          en: `the commands produced after the cutover are on ${TO}; ${FROM} got none of them`,
          ko: `컷오버 뒤에 보낸 커맨드는 ${TO}에 있고, ${FROM}에는 하나도 가지 않았습니다`,
        },
        `${FROM}: ${oldTotal} records, ${TO}: ${newTotal} records`,
      );

      step({
        en: `Start a member of group ${GROUP} on ${TO}`,
        ko: `${TO}에서 ${GROUP} 그룹의 멤버를 시작합니다`,
      });
      const successor = await startMember(clients, "ledger-v2", GROUP, TO);
      const expected = new Set(afterCutover.map((c) => c.commandId));
      const seenIds = () => successor.seen.map((r) => commandIdOf(r.value));
      const gotAll = await eventually(() => new Set(seenIds()).size >= expected.size, 20_000);
      const got = seenIds();
      const copiedAgain = got.filter((id) => produced.has(id));
      const missing = [...expected].filter((id) => !got.includes(id));
      explain({
        en: `It starts at the handed-over offsets [${report.groups[0]?.toOffsets.join(", ") ?? "none"}], after the ${produced.size} copied commands the group had already processed.`,
        ko: `멤버는 넘겨받은 오프셋 [${report.groups[0]?.toOffsets.join(", ") ?? "없음"}]에서 시작합니다. 그룹이 이미 처리한 ${produced.size}개의 복사된 커맨드 다음입니다.`,
      });
      check(
        gotAll && got.length === expected.size && copiedAgain.length === 0 && missing.length === 0,
        {
          en: "the offsets were handed over: it receives exactly the commands the group had not consumed — none twice, none skipped",
          ko: "오프셋이 넘어갔습니다. 멤버는 그룹이 아직 읽지 않은 커맨드만 정확히 받습니다 — 두 번 받은 것도, 빠진 것도 없습니다",
        },
        `${got.length} received, ${expected.size} expected; already consumed on ${FROM}: ${copiedAgain.length}; missing: ${missing.length}`,
      );

      step({
        en: `Read ${TO} from the beginning: where is each user's history, and in which order?`,
        ko: `${TO}를 처음부터 읽습니다. 사용자별 기록은 어느 파티션에, 어떤 순서로 있을까요?`,
      });
      const stored = await readWhole(clients, TO, TO_PARTITIONS, produced.size + afterCutover.length);
      const misplaced = new Set<string>();
      const outOfOrder = new Set<string>();
      const histories = new Map<string, number[]>();
      for (const { partition, key, commandId } of stored) {
        if (partition !== partitionOf(key, TO_PARTITIONS)) misplaced.add(key);
        histories.set(key, [...(histories.get(key) ?? []), sequenceOf(commandId)]);
      }
      for (const [key, sequence] of histories) if (sequence.some((n, i) => n !== i + 1)) outOfOrder.add(key);
      for (const user of users)
        explain({
          en: `${user}: partition ${partitionOf(user, FROM_PARTITIONS)} of ${FROM} → partition ${partitionOf(user, TO_PARTITIONS)} of ${TO}, commands 1…${histories.get(user)?.length ?? 0}`,
          ko: `${user}: ${FROM}의 파티션 ${partitionOf(user, FROM_PARTITIONS)} → ${TO}의 파티션 ${partitionOf(user, TO_PARTITIONS)}, 커맨드 1…${histories.get(user)?.length ?? 0}`,
        });
      check(
        stored.length === produced.size + afterCutover.length &&
          histories.size === USERS &&
          misplaced.size === 0 &&
          outOfOrder.size === 0,
        {
          en: `on ${TO} every user's commands are in their produced order, copied and new alike, all on the partition murmur2(userId) % ${TO_PARTITIONS} gives`,
          ko: `${TO}에서 사용자마다 커맨드가 보낸 순서 그대로이고(복사된 것과 새것 모두), 전부 murmur2(userId) % ${TO_PARTITIONS}의 결과가 가리키는 파티션에 있습니다`,
        },
        `${stored.length} records, ${histories.size} users; misplaced: ${[...misplaced].join(", ") || "none"}; out of order: ${[...outOfOrder].join(", ") || "none"}`,
      );
      look("topics", {
        en: `${TO}: ${TO_PARTITIONS} partitions; the key → partition calculator gives the same`,
        ko: `${TO}: 파티션 ${TO_PARTITIONS}개. 키 → 파티션 계산기로도 같은 결과가 나옵니다`,
      });
      explain({
        en: `Once nothing reads ${FROM} any more, it can be deleted.`,
        ko: `${FROM} 토픽을 더 읽는 곳이 없으면 지워도 됩니다.`,
      });
    });
  },
};

/** Every record of `topic`, each partition in offset order, read without a group until `expected` are in. */
async function readWhole(
  clients: Clients,
  topic: string,
  partitions: number,
  expected: number,
): Promise<{ partition: number; key: string; commandId: string }[]> {
  const records: { partition: number; key: string; commandId: string }[] = [];
  const reader = await clients.consumer({ groupId: "", maxWaitTimeInMs: 100 });
  reader.assign([{ topic, partitions: [...Array(partitions).keys()], fromBeginning: true }]);
  await reader.run({
    eachMessage: async ({ partition, message }) => {
      records.push({
        partition,
        key: message.key?.toString("utf8") ?? "",
        commandId: commandIdOf(message.value?.toString("utf8") ?? null),
      });
    },
  });
  await waitUntil(`${expected} records of ${topic}`, () => records.length >= expected);
  await reader.stop();
  return records;
}
