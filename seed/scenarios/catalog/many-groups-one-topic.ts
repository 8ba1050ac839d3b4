// Scenario 6: many groups, one topic. The demo's three consumers — ledger, notification and
// analytics — are three groups on points.commands: each reads every record and keeps its own
// committed offsets, so one being down or late does not hold the others back.
import type { Admin } from "../../../broker/client/admin/index.ts";
import type { Scenario } from "../scenario.ts";
import { COMMANDS_TOPIC, sendCommands, startMember, userIds, waitUntil, withClients } from "../toolkit.ts";

const PARTITIONS = 3;
const FIRST = 10;
const SECOND = 10;

/** The sum of `groupId`'s committed offsets on the topic (a partition with none counts 0). */
async function committedTotal(admin: Admin, groupId: string): Promise<number> {
  const [topic] = await admin.fetchOffsets({ groupId, topics: [COMMANDS_TOPIC] });
  return (topic?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

export const manyGroupsOneTopic: Scenario = {
  name: "many-groups-one-topic",
  number: 6,
  title: { en: "Many consumer groups, one topic", ko: "토픽 하나, 컨슈머 그룹 여럿" },
  concept: {
    en: "Every consumer group reads the whole topic on its own and commits its own offsets: the ledger, notification and analytics groups each get every command, at their own pace.",
    ko: "컨슈머 그룹은 저마다 토픽 전체를 따로 읽고 자기 오프셋을 커밋합니다: ledger, notification, analytics 그룹이 각자 속도로 모든 명령을 받습니다.",
  },
  brokers: 1,
  async run(context) {
    await withClients(context.system, async (clients) => {
      await clients.createTopic(COMMANDS_TOPIC, PARTITIONS);
      const admin = await clients.admin();
      const producer = await clients.producer();
      const offsets = async () => {
        const [ledger, notification, analytics] = await Promise.all(
          ["ledger", "notification", "analytics"].map((g) => committedTotal(admin, g)),
        );
        return { ledger: ledger!, notification: notification!, analytics: analytics! };
      };

      context.step({
        en: `Send ${FIRST} commands; the groups "ledger" and "notification" read them`,
        ko: `명령 ${FIRST}개를 보내고 "ledger", "notification" 그룹이 읽습니다`,
      });
      await sendCommands(producer, COMMANDS_TOPIC, userIds(FIRST));
      const ledger = await startMember(clients, "ledger-1", "ledger", COMMANDS_TOPIC);
      const notification = await startMember(clients, "notification-1", "notification", COMMANDS_TOPIC);
      await waitUntil(
        async () => `both groups committed ${FIRST} (${JSON.stringify(await offsets().catch(() => ({})))})`,
        async () => {
          const now = await offsets();
          return now.ledger === FIRST && now.notification === FIRST;
        },
      );
      context.check(ledger.seen.length === FIRST && notification.seen.length === FIRST, {
        en: `each group got all ${FIRST} commands: a group does not share records with another`,
        ko: `두 그룹 모두 명령 ${FIRST}개를 전부 받았습니다: 그룹끼리 레코드를 나눠 갖지 않습니다`,
      });

      context.step({
        en: `notification goes down; ${SECOND} more commands come; then analytics starts for the first time`,
        ko: `notification이 멈추고, 명령 ${SECOND}개가 더 들어온 뒤 analytics가 처음으로 시작합니다`,
      });
      await notification.consumer.disconnect();
      await sendCommands(producer, COMMANDS_TOPIC, userIds(FIRST + SECOND).slice(FIRST), FIRST + 1);
      const analytics = await startMember(clients, "analytics-1", "analytics", COMMANDS_TOPIC);
      await waitUntil(
        async () =>
          `ledger and analytics committed ${FIRST + SECOND} (${JSON.stringify(await offsets().catch(() => ({})))})`,
        async () => {
          const now = await offsets();
          return now.ledger === FIRST + SECOND && now.analytics === FIRST + SECOND;
        },
      );
      const now = await offsets();
      context.explain({
        en: `committed offsets (summed over the partitions): ledger ${now.ledger}, notification ${now.notification}, analytics ${now.analytics}`,
        ko: `커밋된 오프셋(파티션 합계): ledger ${now.ledger}, notification ${now.notification}, analytics ${now.analytics}`,
      });
      context.look("groups", {
        en: `notification shows a lag of ${SECOND} records; the others none`,
        ko: `notification 그룹만 랙(lag)이 ${SECOND}개로 보이고 나머지는 0입니다`,
      });
      context.check(
        now.ledger === FIRST + SECOND && now.analytics === FIRST + SECOND && now.notification === FIRST,
        {
          en: "each group has its own committed offsets: notification stayed where it stopped, the others went on",
          ko: "그룹마다 커밋된 오프셋이 따로 있습니다: notification은 멈춘 자리에, 나머지는 앞으로 나아갔습니다",
        },
        JSON.stringify(now),
      );
      context.check(analytics.seen.length === FIRST + SECOND, {
        en: "analytics, new to the topic, read it from the beginning: nothing is removed once read",
        ko: "새로 온 analytics는 처음부터 읽었습니다: 읽었다고 레코드가 지워지지 않습니다",
      });

      context.step({
        en: "notification comes back",
        ko: "notification이 다시 돌아옵니다",
      });
      const back = await startMember(clients, "notification-2", "notification", COMMANDS_TOPIC);
      await waitUntil(
        () => `notification read the ${SECOND} it missed (${back.seen.length} so far)`,
        async () => back.seen.length >= SECOND && (await offsets()).notification === FIRST + SECOND,
      );
      const numbers = back.seen.map((r) =>
        Number((JSON.parse(r.value ?? "{}") as { commandId: string }).commandId.split("-cmd-")[1]),
      );
      context.check(
        back.seen.length === SECOND && numbers.every((n) => n > FIRST),
        {
          en: `it resumed from its committed offsets: only the ${SECOND} commands it missed, none of the first ${FIRST} again`,
          ko: `커밋된 오프셋부터 이어 읽었습니다: 놓친 명령 ${SECOND}개만, 앞의 ${FIRST}개는 다시 읽지 않았습니다`,
        },
        `${back.seen.length} read`,
      );
    });
  },
};
