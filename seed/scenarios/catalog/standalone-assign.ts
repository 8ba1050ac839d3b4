// Scenario 7: standalone (assign) mode beside group mode. A group member subscribes and is given
// every partition by its group; beside it a standalone consumer names one partition itself with
// assign() — Java's consumer.assign(); kafkajs has none, our client does — joins no group, and
// so neither triggers a rebalance nor takes anything from the group.
import type { Scenario } from "../scenario.ts";
import {
  COMMANDS_TOPIC,
  type SeenRecord,
  sendCommands,
  startMember,
  userIds,
  waitUntil,
  withClients,
} from "../toolkit.ts";

const PARTITIONS = 3;
const USERS = 15;
const CHOSEN = 1;

export const standaloneAssign: Scenario = {
  name: "standalone-assign",
  number: 7,
  title: { en: "Standalone (assign) mode beside a group", ko: "그룹 옆에서 직접 할당(assign) 모드" },
  concept: {
    en: "A consumer can skip the group and assign itself partitions: no coordinator, no rebalance, no sharing — it reads what it names, while groups on the same topic carry on unaware of it.",
    ko: "컨슈머는 그룹 없이 파티션을 직접 할당(assign)받을 수도 있습니다: 코디네이터도 리밸런싱도 없고 나눠 갖지도 않습니다 — 지정한 파티션만 읽고, 같은 토픽의 그룹은 그 존재를 모릅니다.",
  },
  brokers: 1,
  async run(context) {
    await withClients(context.system, async (clients) => {
      context.step({
        en: `Create ${COMMANDS_TOPIC} with ${PARTITIONS} partitions; one member of the group "ledger" subscribes`,
        ko: `${COMMANDS_TOPIC} 토픽을 파티션 ${PARTITIONS}개로 만들고, "ledger" 그룹의 멤버 하나가 구독(subscribe)합니다`,
      });
      await clients.createTopic(COMMANDS_TOPIC, PARTITIONS);
      const member = await startMember(clients, "ledger-1", "ledger", COMMANDS_TOPIC);
      await waitUntil(
        () => `ledger-1 owns every partition ([${member.assigned}])`,
        () => !member.rebalancing && member.assigned.length === PARTITIONS,
      );
      const joinsBefore = member.joins;

      context.step({
        en: `A standalone consumer, no groupId, assigns itself partition ${CHOSEN}`,
        ko: `groupId 없는 단독 컨슈머가 파티션 ${CHOSEN}을 직접 할당합니다`,
      });
      context.explain({
        en: "Our client has assign() like Java's consumer (kafkajs has none): the partitions are named, not handed out by a group.",
        ko: "우리 클라이언트에는 자바 컨슈머처럼 assign()이 있습니다(kafkajs에는 없음): 그룹이 나눠 주는 대신 파티션을 직접 지정합니다.",
      });
      const standalone = await clients.consumer({ groupId: "", maxWaitTimeInMs: 100 });
      const seen: SeenRecord[] = [];
      standalone.assign([{ topic: COMMANDS_TOPIC, partitions: [CHOSEN], fromBeginning: true }]);
      await standalone.run({
        eachMessage: async ({ partition, message }) => {
          seen.push({
            partition,
            offset: message.offset,
            key: message.key?.toString("utf8") ?? null,
            value: message.value?.toString("utf8") ?? null,
          });
        },
      });

      context.step({ en: `Send ${USERS} commands`, ko: `명령 ${USERS}개를 보냅니다` });
      const producer = await clients.producer();
      const users = userIds(USERS);
      await sendCommands(producer, COMMANDS_TOPIC, users);
      await waitUntil(
        () => `the group member read all ${USERS} (${member.seen.length})`,
        () => member.seen.length >= USERS,
      );
      const expected = member.seen.filter((r) => r.partition === CHOSEN).length;
      await waitUntil(
        () => `the standalone consumer read partition ${CHOSEN}'s ${expected} (${seen.length})`,
        () => seen.length >= expected,
      );
      context.explain({
        en: `the group member read ${member.seen.length} from partitions ${member.partitionsRead().join(", ")}; the standalone consumer ${seen.length} from partition ${[...new Set(seen.map((r) => r.partition))].join(", ")}`,
        ko: `그룹 멤버는 파티션 ${member.partitionsRead().join(", ")}에서 ${member.seen.length}개, 단독 컨슈머는 파티션 ${[...new Set(seen.map((r) => r.partition))].join(", ")}에서 ${seen.length}개를 읽었습니다`,
      });
      context.check(
        expected > 0 && seen.length === expected && seen.every((r) => r.partition === CHOSEN),
        {
          en: `the standalone consumer read exactly partition ${CHOSEN}, all of it`,
          ko: `단독 컨슈머는 파티션 ${CHOSEN}만, 빠짐없이 읽었습니다`,
        },
        `${seen.length} read, ${expected} on partition ${CHOSEN}`,
      );
      context.check(member.seen.length === USERS && member.assigned.length === PARTITIONS, {
        en: "the group member still owns and reads every partition: the standalone consumer took nothing from it",
        ko: "그룹 멤버는 여전히 모든 파티션을 맡아 읽습니다: 단독 컨슈머가 가져간 것은 없습니다",
      });
      const admin = await clients.admin();
      const { groups } = await admin.describeGroups(["ledger"]);
      const described = groups[0]?.members.length ?? 0;
      context.check(
        member.joins === joinsBefore && described === 1,
        {
          en: "no rebalance happened and the group still has one member",
          ko: "리밸런싱은 일어나지 않았고 그룹의 멤버도 여전히 하나입니다",
        },
        `joins ${joinsBefore} → ${member.joins}, members ${described}`,
      );
      context.look("groups", {
        en: 'only "ledger" is listed: a standalone consumer without a groupId is no group at all',
        ko: '"ledger" 그룹만 보입니다: groupId 없는 단독 컨슈머는 그룹이 아닙니다',
      });
    });
  },
};
