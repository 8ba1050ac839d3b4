// Scenario 18: durability. A lone broker stores commands, and a group's committed offsets (records of
// __consumer_offsets); then it is killed with SIGKILL, no shutdown work at all, and started again on
// its data directory. Every record is back at its offset, the group's offsets are back, and the
// group resumes exactly after what it had committed.
import type { Admin } from "../../../broker/client/admin/index.ts";
import { eventually } from "../admin-views.ts";
import type { Scenario } from "../scenario.ts";
import { type Clients, COMMANDS_TOPIC, pointsCommand, quickGroup, userIds, withClients } from "../toolkit.ts";

const GROUP = "durability-readers";
const PARTITIONS = 3;

interface Stored {
  partition: number;
  offset: string;
  key: string;
  value: string;
}

const describe = (records: Stored[]): string[] =>
  records.map((r) => `${r.partition}/${r.offset} ${r.key} ${r.value}`).sort();

export const durability: Scenario = {
  name: "durability",
  number: 18,
  title: {
    en: "Durability: kill -9 the broker, nothing committed is lost",
    ko: "내구성: 브로커를 kill -9 해도 커밋된 것은 사라지지 않는다",
  },
  concept: {
    en: "A broker appends records to log segment files on disk, and a group's committed offsets are records too (of __consumer_offsets). A broker killed without warning replays its logs when it starts again: the records and the offsets are all there.",
    ko: "브로커는 레코드를 디스크의 로그 세그먼트 파일에 덧붙이고, 그룹의 커밋된 오프셋도 __consumer_offsets 토픽의 레코드입니다. 예고 없이 죽은 브로커도 다시 시작하면 로그를 재생하므로, 레코드와 오프셋이 모두 남아 있습니다.",
  },
  brokers: 1,
  async run({ step, explain, look, check, system }) {
    const users = userIds(10);
    const sent = (round: number) =>
      users.map((user) => ({ key: user, value: JSON.stringify(pointsCommand(user, round)) }));

    const before = await withClients(system, async (clients) => {
      step({
        en: `Write 30 commands to ${COMMANDS_TOPIC} (${PARTITIONS} partitions) with acks=all`,
        ko: `${COMMANDS_TOPIC}(파티션 ${PARTITIONS}개)에 acks=all로 명령 30개를 씁니다`,
      });
      await clients.createTopic(COMMANDS_TOPIC, PARTITIONS);
      const producer = await clients.producer();
      for (const round of [0, 1, 2]) await producer.send({ topic: COMMANDS_TOPIC, acks: -1, messages: sent(round) });

      step({
        en: `Group ${GROUP} reads all 30 and commits its offsets`,
        ko: `${GROUP} 그룹이 30개를 모두 읽고 오프셋을 커밋합니다`,
      });
      const consumer = await clients.consumer(quickGroup(GROUP));
      await consumer.subscribe({ topics: [COMMANDS_TOPIC], fromBeginning: true });
      const next = new Map<number, bigint>();
      let read = 0;
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          read += 1;
          next.set(partition, BigInt(message.offset) + 1n);
        },
      });
      const readAll = await eventually(() => read >= 30, 30_000);
      await consumer.commitOffsets(
        [...next].map(([partition, offset]) => ({ topic: COMMANDS_TOPIC, partition, offset: String(offset) })),
      );
      await consumer.disconnect();
      const admin = await clients.admin();
      const committed = await committedOffsets(admin);
      check(
        readAll && [...next].every(([partition, offset]) => committed.get(partition) === String(offset)),
        {
          en: "the committed offsets are the next offsets to read, one per partition",
          ko: "커밋된 오프셋은 파티션마다 다음에 읽을 위치입니다",
        },
        [...committed].map(([p, o]) => `partition ${p}: ${o}`).join(", "),
      );
      explain({
        en: "A commit is a record on __consumer_offsets (key: group, topic, partition; value: the offset), written by the group's coordinator like any other record.",
        ko: "커밋은 __consumer_offsets 토픽의 레코드입니다(키: 그룹, 토픽, 파티션; 값: 오프셋). 그룹 코디네이터가 여느 레코드처럼 씁니다.",
      });

      step({
        en: "Write 10 more commands that the group has not read yet",
        ko: "그룹이 아직 읽지 않은 명령 10개를 더 씁니다",
      });
      const newer = sent(3);
      await producer.send({ topic: COMMANDS_TOPIC, acks: -1, messages: newer });
      return { committed, records: await readEverything(clients), newer: newer.map((m) => m.value) };
    });
    explain({
      en: `Stored now: ${before.records.length} records; committed offsets ${[...before.committed].map(([p, o]) => `${p}: ${o}`).join(", ")}`,
      ko: `지금 저장된 것: 레코드 ${before.records.length}개; 커밋된 오프셋 ${[...before.committed].map(([p, o]) => `${p}: ${o}`).join(", ")}`,
    });

    step({
      en: "Kill the broker with SIGKILL (kill -9) and start it again",
      ko: "브로커를 SIGKILL(kill -9)로 죽이고 다시 시작합니다",
    });
    await system.killBroker(0);
    await system.restartBroker(0);
    explain({
      en: "kill -9 gives the broker no chance to flush or close anything. What it had written is in its segment files (the operating system's page cache survives a process's death); on start it scans the logs and rebuilds the group's offsets from __consumer_offsets. (A machine's power loss is what replication, scenarios 15-16, guards against.)",
      ko: "kill -9는 브로커에게 플러시하거나 닫을 기회를 전혀 주지 않습니다. 이미 쓴 것은 세그먼트 파일에 있습니다(프로세스가 죽어도 운영체제의 페이지 캐시는 남습니다). 브로커는 시작하면서 로그를 훑고, __consumer_offsets에서 그룹의 오프셋을 다시 만듭니다. (정전처럼 머신 자체가 꺼지는 경우는 복제가 지켜 줍니다: 시나리오 15-16.)",
    });

    await withClients(system, async (clients) => {
      step({ en: "Read everything back", ko: "모든 것을 다시 읽어 봅니다" });
      const records = await readEverything(clients);
      const lost = describe(before.records).filter((r) => !describe(records).includes(r));
      check(
        records.length === before.records.length && lost.length === 0,
        {
          en: `all ${before.records.length} records are back, each at its offset with its key and value`,
          ko: `레코드 ${before.records.length}개가 모두 같은 오프셋에 같은 키와 값으로 돌아왔습니다`,
        },
        `read ${records.length}, missing ${lost.length}`,
      );
      const admin = await clients.admin();
      const committed = await committedOffsets(admin);
      check(
        [...before.committed].every(([p, o]) => committed.get(p) === o),
        { en: `group ${GROUP}'s committed offsets are back`, ko: `${GROUP} 그룹의 커밋된 오프셋도 돌아왔습니다` },
        [...committed].map(([p, o]) => `partition ${p}: ${o}`).join(", "),
      );

      step({ en: `Group ${GROUP} resumes`, ko: `${GROUP} 그룹이 이어서 읽습니다` });
      const consumer = await clients.consumer(quickGroup(GROUP));
      await consumer.subscribe({ topics: [COMMANDS_TOPIC], fromBeginning: true });
      const resumed: string[] = [];
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          resumed.push(message.value?.toString() ?? "");
        },
      });
      await eventually(() => resumed.length >= before.newer.length, 30_000);
      check(
        resumed.length === before.newer.length && before.newer.every((v) => resumed.includes(v)),
        {
          en: "it gets exactly the 10 it had not read: nothing again, nothing skipped",
          ko: "읽지 않았던 10개만 정확히 받습니다. 다시 받는 것도, 건너뛰는 것도 없습니다",
        },
        `received ${resumed.length}`,
      );
      look("groups", {
        en: `group ${GROUP}: committed offsets and lag per partition`,
        ko: `그룹 ${GROUP}: 파티션별 커밋된 오프셋과 랙(lag)`,
      });
    });
  },
};

/** The group's committed offset per partition of the commands topic. */
async function committedOffsets(admin: Admin): Promise<Map<number, string>> {
  const [topic] = await admin.fetchOffsets({ groupId: GROUP, topics: [COMMANDS_TOPIC] });
  return new Map((topic?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

/** Every record of the commands topic, read without a group up to each partition's end. */
async function readEverything(clients: Clients): Promise<Stored[]> {
  const admin = await clients.admin();
  const total = (await admin.fetchTopicOffsets(COMMANDS_TOPIC)).reduce((sum, p) => sum + Number(p.high), 0);
  const records: Stored[] = [];
  const consumer = await clients.consumer({ groupId: "", maxWaitTimeInMs: 100 });
  consumer.assign([{ topic: COMMANDS_TOPIC, partitions: [0, 1, 2], fromBeginning: true }]);
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      records.push({
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? "",
        value: message.value?.toString() ?? "",
      });
    },
  });
  await eventually(() => records.length >= total, 20_000);
  await consumer.stop();
  return records;
}
