// Scenario 20: the ledger's exactly-once effect. The ledger applies a batch of commands in one
// database transaction, then produces the outcomes, then commits its offsets. Here it dies right
// after its first database commit (LEDGER_FAULT_EXIT_AFTER_DB_COMMIT=1, apps/ledger/fault-injection.ts):
// the database is ahead of the committed offsets, so the restarted ledger gets that batch again. It
// finds those commandIds already stored, applies nothing twice, and the balances equal a sequential
// replay of every command on points.commands.
import { createDb } from "../../../apps/shared/db/client.ts";
import { ownerDatabaseUrl } from "../../../apps/shared/db/service-databases.ts";
import { type PointsCommand, pointsCommandSchema, pointsEventSchema } from "../../../apps/shared/topics.ts";
import { eventually } from "../admin-views.ts";
import type { Scenario } from "../scenario.ts";
import {
  type Clients,
  COMMANDS_TOPIC,
  EVENTS_TOPIC,
  pointsCommand,
  seedUsers,
  userIds,
  withClients,
} from "../toolkit.ts";

const USERS = 8;
const PARTITIONS = 3;
const GROUP = "ledger";

/** Each user's balance after their commands one after another, in the order given (rejecting overdrafts). */
function sequentialReplay(commands: PointsCommand[]): Map<string, number> {
  const balances = new Map<string, number>();
  for (const c of commands) {
    const balance = balances.get(c.userId) ?? 0;
    if (c.type === "charge") balances.set(c.userId, balance + c.amount);
    else if (c.amount <= balance) balances.set(c.userId, balance - c.amount);
    else balances.set(c.userId, balance);
  }
  return balances;
}

export const ledgerExactlyOnce: Scenario = {
  name: "ledger-exactly-once",
  number: 20,
  title: {
    en: "The ledger's exactly-once effect: a crash between commit and offset commit",
    ko: "원장의 정확히 한 번 효과: DB 커밋과 오프셋 커밋 사이의 장애",
  },
  concept: {
    en: "Kafka delivers at least once: a consumer that dies before committing its offsets gets the same records again. The ledger makes the effect exactly once: each command's id is stored in the same database transaction as its effect, so a redelivered command is recognised and not applied twice.",
    ko: "카프카는 최소 한 번(at-least-once) 전달합니다. 오프셋을 커밋하기 전에 죽은 컨슈머는 같은 레코드를 다시 받습니다. 원장은 효과를 정확히 한 번으로 만듭니다. 명령 ID를 그 효과와 같은 DB 트랜잭션에 저장하므로, 다시 전달된 명령을 알아보고 두 번 적용하지 않습니다.",
  },
  brokers: 1,
  // The crashed member is dropped after its 2 s session, so the restarted ledger gets its partitions at once.
  brokerConfigs: { "group.min.session.timeout.ms": "1000", "group.initial.rebalance.delay.ms": "0" },
  async run({ step, explain, look, check, system }) {
    const ledgerEnv = { POINTS_PARTITIONS: String(PARTITIONS), LEDGER_SESSION_TIMEOUT_MS: "2000" };
    const db = createDb(ownerDatabaseUrl(system.databaseUrl, "ledger"));
    try {
      step({
        en: "Start the ledger with a fault: it kills itself (SIGKILL) right after its first database commit",
        ko: "장애를 심은 원장을 시작합니다. 첫 DB 커밋 직후 스스로 SIGKILL로 죽습니다",
      });
      const ledger = await system.startService("ledger", { ...ledgerEnv, LEDGER_FAULT_EXIT_AFTER_DB_COMMIT: "1" });
      explain({
        en: "Per batch the ledger does three things in order: (1) one database transaction with the balances and a ledger entry per command, (2) the outcome events on points.events, (3) the offset commit. The fault strikes between (1) and (2).",
        ko: "원장은 배치마다 세 가지를 차례로 합니다. (1) 잔액과 명령별 원장 항목을 담은 DB 트랜잭션 하나, (2) points.events에 결과 이벤트 발행, (3) 오프셋 커밋. 장애는 (1)과 (2) 사이에 일어납니다.",
      });

      step({
        en: `Seed ${USERS} users (opening balances are charge commands) and send 40 charges and deductions`,
        ko: `사용자 ${USERS}명을 시드하고(초기 잔액도 충전 명령입니다) 충전과 차감 명령 40개를 보냅니다`,
      });
      await seedUsers(system, USERS, PARTITIONS);
      const users = userIds(USERS);
      await withClients(system, async (clients) => {
        const producer = await clients.producer({ idempotent: true });
        const commands = Array.from({ length: 40 }, (_, i) => {
          const user = users[i % USERS]!;
          const deduct = i % 3 !== 0;
          return pointsCommand(user, i, deduct ? "deduct" : "charge", deduct ? 300 + ((i * 211) % 2_500) : 500);
        });
        await producer.send({
          topic: COMMANDS_TOPIC,
          acks: -1,
          messages: commands.map((c) => ({ key: c.userId, value: JSON.stringify(c) })),
        });
      });

      const committedOnce = await eventually(async () => (await db.ledgerEntry.count()) > 0, 30_000);
      // It kills itself; should the signal still be on its way, this SIGKILL lands at the same point.
      await system.stopService(ledger, "SIGKILL").catch(() => undefined);
      const stored = await db.ledgerEntry.findMany({ select: { partition: true, offset: true } });
      const committed = await withClients(system, (clients) => committedOffsets(clients));
      const uncovered = stored.filter((e) => e.offset >= (committed.get(e.partition) ?? 0n));
      explain({
        en: `the database holds ${stored.length} applied commands; the group's committed offsets: ${describeOffsets(committed)}`,
        ko: `DB에는 적용된 명령 ${stored.length}개가 있고, 그룹의 커밋된 오프셋은 ${describeOffsets(committed, "아직 없음")}입니다`,
      });
      check(
        committedOnce && stored.length > 0 && uncovered.length === stored.length,
        {
          en: "the ledger died with its database ahead of its offsets: every command it applied will be delivered again",
          ko: "원장은 DB가 오프셋보다 앞선 상태로 죽었습니다. 적용한 명령이 모두 다시 전달될 것입니다",
        },
        `${uncovered.length} of ${stored.length} applied commands past the committed offsets`,
      );

      step({ en: "Restart the ledger (no fault this time)", ko: "원장을 다시 시작합니다(이번에는 장애 없이)" });
      await system.startService("ledger", ledgerEnv);
      explain({
        en: "It joins group ledger, gets the partitions, and is delivered the batch again from the committed offsets. The commandIds of that batch are among the ledger's entries already: it skips them and emits their stored outcomes again; the rest it applies.",
        ko: "원장이 ledger 그룹에 들어가 파티션을 받고, 커밋된 오프셋부터 같은 배치를 다시 받습니다. 그 배치의 commandId는 이미 원장 항목에 있으므로 건너뛰고 저장된 결과를 다시 발행하며, 나머지만 적용합니다.",
      });

      const onTopic = await withClients(system, (clients) => readCommands(clients));
      const expected = sequentialReplay(onTopic);
      let entries: Array<{ commandId: string }> = [];
      let balances = new Map<string, number>();
      const caughtUp = await eventually(async () => {
        entries = await db.ledgerEntry.findMany({ select: { commandId: true } });
        balances = new Map((await db.account.findMany()).map((a) => [a.userId, a.balance]));
        return entries.length >= onTopic.length;
      }, 60_000);
      const distinct = new Set(entries.map((e) => e.commandId));
      check(
        caughtUp && entries.length === onTopic.length && distinct.size === onTopic.length,
        {
          en: `each of the ${onTopic.length} commands on ${COMMANDS_TOPIC} has exactly one ledger entry`,
          ko: `${COMMANDS_TOPIC}에 있는 명령 ${onTopic.length}개마다 원장 항목이 정확히 하나씩 있습니다`,
        },
        `${entries.length} entries, ${distinct.size} distinct commands`,
      );
      const drift = [...expected].filter(([user, balance]) => balances.get(user) !== balance);
      check(
        drift.length === 0,
        {
          en: "every balance equals a sequential replay of that user's commands: nothing applied twice, nothing skipped",
          ko: "모든 잔액이 그 사용자의 명령을 차례로 재생한 결과와 같습니다. 두 번 적용된 것도, 빠진 것도 없습니다",
        },
        drift.length === 0
          ? `${expected.size} users`
          : drift.map(([user, balance]) => `${user}: ${balances.get(user)} ≠ ${balance}`).join(", "),
      );
      const finalOffsets = await withClients(system, async (clients) => {
        let offsets = new Map<number, bigint>();
        const ends = await partitionEnds(clients);
        await eventually(async () => {
          offsets = await committedOffsets(clients);
          return [...ends].every(([p, end]) => offsets.get(p) === end);
        }, 30_000);
        return { offsets, ends };
      });
      check(
        [...finalOffsets.ends].every(([p, end]) => finalOffsets.offsets.get(p) === end),
        {
          en: "and the group's offsets are committed to the end of every partition",
          ko: "그리고 그룹의 오프셋은 모든 파티션의 끝까지 커밋되었습니다",
        },
        describeOffsets(finalOffsets.offsets),
      );
      // The ledger commits offsets only after its outcomes are produced, so they are all there now.
      const outcomes = await withClients(system, (clients) => readOutcomeIds(clients));
      const unsaid = onTopic.filter((c) => !outcomes.has(c.commandId));
      check(
        unsaid.length === 0,
        {
          en: `every command's outcome is on ${EVENTS_TOPIC}, those of the redelivered batch too (emitted again from what the database stored)`,
          ko: `모든 명령의 결과가 ${EVENTS_TOPIC}에 있습니다. 다시 전달된 배치의 결과도 DB에 저장된 내용으로 다시 발행되었습니다`,
        },
        `${outcomes.size} outcomes for ${onTopic.length} commands`,
      );
      look("points", { en: "balances and recent ledger entries", ko: "잔액과 최근 원장 항목" });
    } finally {
      await db.$disconnect();
    }
  },
};

function describeOffsets(offsets: ReadonlyMap<number, bigint>, none = "none"): string {
  return offsets.size === 0 ? none : [...offsets].map(([p, o]) => `${p}: ${o}`).join(", ");
}

/** Group ledger's committed offsets on the commands topic (a partition without a commit is left out). */
async function committedOffsets(clients: Clients): Promise<Map<number, bigint>> {
  const admin = await clients.admin();
  const [topic] = await admin.fetchOffsets({ groupId: GROUP, topics: [COMMANDS_TOPIC] });
  return new Map(
    (topic?.partitions ?? []).filter((p) => Number(p.offset) >= 0).map((p) => [p.partition, BigInt(p.offset)]),
  );
}

async function partitionEnds(clients: Clients): Promise<Map<number, bigint>> {
  const admin = await clients.admin();
  return new Map((await admin.fetchTopicOffsets(COMMANDS_TOPIC)).map((p) => [p.partition, BigInt(p.high)]));
}

/** Every command on the commands topic, each partition in offset order (so each user's in order). */
async function readCommands(clients: Clients): Promise<PointsCommand[]> {
  const ends = await partitionEnds(clients);
  const total = [...ends.values()].reduce((sum, end) => sum + Number(end), 0);
  const byPartition = new Map<number, PointsCommand[]>();
  let read = 0;
  const consumer = await clients.consumer({ groupId: "", maxWaitTimeInMs: 100 });
  consumer.assign([{ topic: COMMANDS_TOPIC, partitions: [...ends.keys()], fromBeginning: true }]);
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const list = byPartition.get(partition) ?? [];
      list.push(pointsCommandSchema.parse(JSON.parse(message.value?.toString() ?? "")));
      byPartition.set(partition, list);
      read += 1;
    },
  });
  await eventually(() => read >= total, 20_000);
  await consumer.stop();
  return [...byPartition.values()].flat();
}

/** The commandIds that have an outcome on the events topic, read from its start to its end now. */
async function readOutcomeIds(clients: Clients): Promise<Set<string>> {
  const admin = await clients.admin();
  const ends = await admin.fetchTopicOffsets(EVENTS_TOPIC);
  const total = ends.reduce((sum, p) => sum + Number(p.high), 0);
  const ids = new Set<string>();
  let read = 0;
  const consumer = await clients.consumer({ groupId: "", maxWaitTimeInMs: 100 });
  consumer.assign([{ topic: EVENTS_TOPIC, partitions: ends.map((p) => p.partition), fromBeginning: true }]);
  await consumer.run({
    eachMessage: async ({ message }) => {
      ids.add(pointsEventSchema.parse(JSON.parse(message.value?.toString() ?? "")).commandId);
      read += 1;
    },
  });
  await eventually(() => read >= total, 20_000);
  await consumer.stop();
  return ids;
}
