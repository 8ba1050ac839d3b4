// Scenario 21: transactions, all or nothing. A transactional producer's records become visible to
// read_committed consumers only when its transaction commits. Here a producer process opens a
// transaction, sends two records and is killed (SIGKILL) before committing: read_uncommitted
// consumers already see them, read_committed ones do not — and not even a plain record written
// after them, since the last stable offset (LSO) stops at the open transaction. The producer
// starts again with the same transactional id: the coordinator aborts what its former self left
// open (writing an abort marker), the LSO moves on, and the crashed records stay invisible to
// read_committed readers for good.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { entryPointArgs } from "../../../apps/shared/entry-point.ts";
import { Apis } from "../../../broker/protocol/apis.ts";
import { eventually } from "../admin-views.ts";
import type { Scenario, ScenarioSystem } from "../scenario.ts";
import { type Clients, quickGroup, wireCluster, withClients } from "../toolkit.ts";

const TOPIC = "points.tx.events";
const TRANSACTIONAL_ID = "pos-terminal-7";
const READ_UNCOMMITTED = 0;
const READ_COMMITTED = 1;

interface Seen {
  offset: string;
  value: string;
}

/** A consumer of TOPIC's partition 0 from the beginning, without a group; what it delivers is collected. */
async function reader(clients: Clients, readUncommitted: boolean): Promise<Seen[]> {
  const seen: Seen[] = [];
  const consumer = await clients.consumer(quickGroup("", { readUncommitted }));
  consumer.assign([{ topic: TOPIC, partitions: [0], fromBeginning: true }]);
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push({ offset: message.offset, value: message.value?.toString() ?? "" });
    },
  });
  return seen;
}

/** The latest offset ListOffsets answers for TOPIC-0 at an isolation level: the high watermark, or the LSO. */
async function endOffset(system: ScenarioSystem, isolationLevel: number): Promise<bigint> {
  const cluster = wireCluster(system, "transactions-scenario");
  try {
    await cluster.addTargetTopics([TOPIC]);
    const { connection } = await cluster.leaderFor(TOPIC, 0);
    const response = await connection.request(Apis.ListOffsets, {
      replicaId: -1,
      isolationLevel,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
    });
    return response.topics[0]!.partitions[0]!.offset ?? -1n;
  } finally {
    cluster.disconnect();
  }
}

/** Starts transaction-child.ts: it opens a transaction on TOPIC, sends `values`, and waits to be killed. */
async function crashingProducer(system: ScenarioSystem, values: string[]): Promise<() => Promise<void>> {
  const child = spawn(
    process.execPath,
    [
      ...entryPointArgs("seed/scenarios/transaction-child.ts"),
      system.bootstrap.join(","),
      TOPIC,
      TRANSACTIONAL_ID,
      ...values,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const sent = await new Promise<boolean>((resolve) => {
    createInterface({ input: child.stdout! }).on("line", (line) => line === "sent" && resolve(true));
    void exited.then(() => resolve(false));
  });
  if (!sent) throw new Error(`the producer process ended before sending: ${stderr.trim()}`);
  return async () => {
    child.kill("SIGKILL");
    await exited;
  };
}

export const transactions: Scenario = {
  name: "transactions",
  number: 21,
  title: {
    en: "Transactions: all or nothing, even when the producer crashes",
    ko: "트랜잭션: 프로듀서가 죽어도 전부 아니면 전무",
  },
  concept: {
    en: "A transactional producer writes to partitions (and commits consumer offsets) in one transaction: read_committed consumers see its records only once it commits, never if it aborts. The broker keeps a last stable offset (LSO) before every open transaction; a crashed producer's transaction is aborted when it comes back with the same transactional id (or when its timeout passes).",
    ko: "트랜잭션 프로듀서는 여러 파티션에 쓰기(와 컨슈머 오프셋 커밋)를 하나의 트랜잭션으로 묶습니다. read_committed 컨슈머는 커밋된 뒤에야 그 레코드를 보고, 중단(abort)되면 끝내 보지 못합니다. 브로커는 열린 트랜잭션마다 그 앞에 마지막 안정 오프셋(LSO)을 둡니다. 죽은 프로듀서의 트랜잭션은 같은 transactional id로 돌아올 때(또는 타임아웃이 지나면) 중단됩니다.",
  },
  brokers: 1,
  async run({ step, explain, look, check, system }) {
    await withClients(system, async (clients) => {
      await clients.createTopic(TOPIC, 1);
      const committed = await reader(clients, false);
      const uncommitted = await reader(clients, true);

      step({
        en: `A transactional producer sends two records to ${TOPIC} in a transaction and commits`,
        ko: `트랜잭션 프로듀서가 ${TOPIC}에 레코드 두 개를 트랜잭션으로 보내고 커밋합니다`,
      });
      const first = await clients.producer({
        transactionalId: "pos-terminal-1",
        idempotent: true,
        maxInFlightRequests: 1,
      });
      const transaction = await first.transaction();
      await transaction.send({ topic: TOPIC, messages: ["charge 500", "charge 300"].map((value) => ({ value })) });
      await transaction.commit();
      await eventually(() => committed.length >= 2 && uncommitted.length >= 2, 20_000);
      check(committed.map((m) => m.offset).join(",") === "0,1", {
        en: "read_committed sees both, at offsets 0 and 1; offset 2 holds the commit marker, a control record no app is handed",
        ko: "read_committed가 둘 다 오프셋 0과 1에서 봅니다. 오프셋 2에는 커밋 마커가 있는데, 앱에 건네지지 않는 컨트롤 레코드입니다",
      });

      step({
        en: `Another producer process (transactional id ${TRANSACTIONAL_ID}) opens a transaction, sends two records, and is killed with SIGKILL before it commits`,
        ko: `다른 프로듀서 프로세스(transactional id ${TRANSACTIONAL_ID})가 트랜잭션을 열고 레코드 두 개를 보낸 뒤, 커밋하기 전에 SIGKILL로 죽습니다`,
      });
      const kill = await crashingProducer(system, ["deduct 900", "deduct 100"]);
      await kill();
      const plain = await clients.producer();
      await plain.send({ topic: TOPIC, messages: [{ value: "charge 50 (not transactional)" }] });
      await eventually(() => uncommitted.length >= 5, 20_000);
      const [highWatermark, lastStable] = [
        await endOffset(system, READ_UNCOMMITTED),
        await endOffset(system, READ_COMMITTED),
      ];
      explain({
        en: `high watermark ${highWatermark}, last stable offset ${lastStable}: the LSO stops at the open transaction's first record`,
        ko: `하이 워터마크 ${highWatermark}, 마지막 안정 오프셋 ${lastStable}: LSO는 열린 트랜잭션의 첫 레코드에서 멈춥니다`,
      });
      check(
        uncommitted.some((m) => m.value === "deduct 900") && uncommitted.some((m) => m.value.startsWith("charge 50")),
        {
          en: "read_uncommitted already sees the crashed producer's records and the plain record after them",
          ko: "read_uncommitted는 죽은 프로듀서의 레코드와 그 뒤의 일반 레코드를 벌써 봅니다",
        },
      );
      check(
        lastStable === 3n && highWatermark === 6n && committed.length === 2,
        {
          en: "read_committed stops at the LSO (3): neither the open transaction's records nor the plain record after them",
          ko: "read_committed는 LSO(3)에서 멈춥니다. 열린 트랜잭션의 레코드도, 그 뒤의 일반 레코드도 보지 못합니다",
        },
        `LSO ${lastStable}, high watermark ${highWatermark}, read_committed delivered ${committed.length}`,
      );

      step({
        en: `The producer starts again with transactional id ${TRANSACTIONAL_ID}`,
        ko: `프로듀서가 같은 transactional id ${TRANSACTIONAL_ID}로 다시 시작합니다`,
      });
      explain({
        en: "Its InitProducerId reaches the transaction coordinator, which finds the old transaction open: it aborts it (an abort marker in every partition it touched) and bumps the producer epoch, so the dead process could not write again even if it woke.",
        ko: "InitProducerId가 트랜잭션 코디네이터에 닿으면, 코디네이터는 예전 트랜잭션이 열려 있음을 보고 중단시킵니다(건드린 파티션마다 중단 마커). 그리고 프로듀서 에포크를 올려, 죽은 프로세스가 깨어나더라도 다시 쓰지 못하게 합니다.",
      });
      const restarted = await clients.producer({
        transactionalId: TRANSACTIONAL_ID,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      const retry = await restarted.transaction();
      await retry.send({ topic: TOPIC, messages: [{ value: "deduct 900 (again)" }] });
      await retry.commit();
      await eventually(() => committed.length >= 4, 20_000);
      const values = committed.map((m) => m.value);
      check(
        values.join(" | ") === "charge 500 | charge 300 | charge 50 (not transactional) | deduct 900 (again)",
        {
          en: "read_committed now sees the plain record and the new transaction's, and never the aborted ones",
          ko: "이제 read_committed는 일반 레코드와 새 트랜잭션의 레코드를 보고, 중단된 레코드는 끝내 보지 않습니다",
        },
        values.join(" | "),
      );
      check(
        uncommitted.some((m) => m.value === "deduct 100"),
        {
          en: "read_uncommitted still has the aborted records: they stay in the log, skipped by read_committed readers through the aborted-transaction list the broker sends with each fetch",
          ko: "read_uncommitted에는 중단된 레코드가 여전히 있습니다. 로그에 남아 있고, read_committed 컨슈머는 브로커가 페치마다 보내는 중단 트랜잭션 목록으로 건너뜁니다",
        },
      );
      look("topics", {
        en: `the message browser on ${TOPIC}: the records of the aborted transaction, and the markers between`,
        ko: `${TOPIC}의 메시지 브라우저: 중단된 트랜잭션의 레코드와 그 사이의 마커`,
      });
    });
  },
};
