// Scenario 4: in a consumer group each partition has one owner. Three members of one group share
// three partitions, one each; a second group of a single member reads all three. The group's
// assigner is a part (`oneConsumerPerPartitionWith`), so a test can hand it a broken one.

import type { PartitionAssigner } from "../../../broker/client/consumer/types.ts";
import { PartitionAssigners } from "../../../broker/client/index.ts";
import type { Scenario } from "../scenario.ts";
import {
  COMMANDS_TOPIC,
  sendCommands,
  startMember,
  userIds,
  type WatchedMember,
  waitUntil,
  withClients,
} from "../toolkit.ts";

const PARTITIONS = 3;
const MEMBERS = 3;
const USERS = 12;

export function oneConsumerPerPartitionWith(assigner: PartitionAssigner): Scenario {
  return {
    name: "one-consumer-per-partition",
    number: 4,
    title: { en: "One consumer per partition in a group", ko: "컨슈머 그룹에서 파티션 하나에는 컨슈머 하나" },
    concept: {
      en: "Within a consumer group each partition is assigned to exactly one member, so members never read the same record twice; a member may own several partitions when there are fewer members than partitions.",
      ko: "컨슈머 그룹 안에서 파티션 하나는 정확히 한 멤버에게만 할당되므로 멤버끼리 같은 레코드를 두 번 읽지 않습니다. 멤버가 파티션보다 적으면 한 멤버가 여러 파티션을 맡습니다.",
    },
    brokers: 1,
    async run(context) {
      const users = userIds(USERS);
      await withClients(context.system, async (clients) => {
        context.step({
          en: `Create ${COMMANDS_TOPIC} with ${PARTITIONS} partitions; start ${MEMBERS} members of the group "ledger"`,
          ko: `${COMMANDS_TOPIC} 토픽을 파티션 ${PARTITIONS}개로 만들고, "ledger" 컨슈머 그룹의 멤버 ${MEMBERS}개를 시작합니다`,
        });
        await clients.createTopic(COMMANDS_TOPIC, PARTITIONS);
        const members: WatchedMember[] = [];
        for (let i = 1; i <= MEMBERS; i++)
          members.push(
            await startMember(clients, `ledger-${i}`, "ledger", COMMANDS_TOPIC, { partitionAssigners: [assigner] }),
          );
        await waitUntil(
          () =>
            `every member joined with an assignment (${members.map((m) => `${m.name}: [${m.assigned}]`).join(", ")})`,
          () => members.every((m) => !m.rebalancing && m.assigned.length > 0),
        );
        for (const member of members)
          context.explain({
            en: `${member.name} owns partition(s) ${member.assigned.join(", ")}`,
            ko: `${member.name}의 담당 파티션: ${member.assigned.join(", ")}`,
          });
        context.look("groups", {
          en: 'the group "ledger": its members and the partitions each one owns',
          ko: '"ledger" 그룹의 멤버와 멤버별 담당 파티션을 보세요',
        });

        context.step({
          en: `Send one command for each of ${USERS} users and let the members read them`,
          ko: `사용자 ${USERS}명에게 명령을 하나씩 보내고 멤버들이 읽게 합니다`,
        });
        const producer = await clients.producer();
        await sendCommands(producer, COMMANDS_TOPIC, users);
        const total = () => members.reduce((n, m) => n + m.seen.length, 0);
        await waitUntil(
          () => `${USERS} commands read by the group (${total()} so far)`,
          () => total() >= USERS,
        );
        const owners = [...Array(PARTITIONS).keys()].map((p) =>
          members.filter((m) => m.partitionsRead().includes(p)).map((m) => m.name),
        );
        owners.forEach((names, p) => {
          context.explain({
            en: `partition ${p} was read by ${names.join(" and ") || "nobody"}`,
            ko: `파티션 ${p}번을 읽은 멤버: ${names.join(", ") || "없음"}`,
          });
        });
        context.check(
          owners.every((names) => names.length === 1) && total() === USERS,
          {
            en: "each partition was read by exactly one member, and no record twice",
            ko: "파티션마다 정확히 한 멤버만 읽었고, 두 번 읽힌 레코드는 없습니다",
          },
          `${total()} records read for ${USERS} sent`,
        );
        context.check(
          members.every((m) => m.assigned.length === 1),
          {
            en: `${MEMBERS} members on ${PARTITIONS} partitions: one partition each`,
            ko: `파티션 ${PARTITIONS}개에 멤버 ${MEMBERS}개: 멤버마다 파티션 하나씩`,
          },
          members.map((m) => `${m.name}: [${m.assigned}]`).join(", "),
        );

        context.step({
          en: 'A second group, "analytics", with a single member reads the same topic',
          ko: '두 번째 그룹 "analytics"는 멤버 하나로 같은 토픽을 읽습니다',
        });
        const alone = await startMember(clients, "analytics-1", "analytics", COMMANDS_TOPIC, {
          partitionAssigners: [assigner],
        });
        await waitUntil(
          () => `analytics-1 read ${USERS} commands (${alone.seen.length} so far)`,
          () => alone.seen.length >= USERS,
        );
        context.explain({
          en: `analytics-1 owns partitions ${alone.assigned.join(", ")} and read from ${alone.partitionsRead().join(", ")}`,
          ko: `analytics-1의 담당 파티션: ${alone.assigned.join(", ")}, 실제로 읽은 파티션: ${alone.partitionsRead().join(", ")}`,
        });
        context.check(alone.assigned.length === PARTITIONS && alone.partitionsRead().length === PARTITIONS, {
          en: "one member alone in its group reads every partition",
          ko: "그룹에 혼자인 멤버는 모든 파티션을 읽습니다",
        });
        context.explain({
          en: "Adding members spreads partitions over them — up to one member per partition (scenario 5 shows what an extra one does).",
          ko: "멤버를 늘리면 파티션이 나뉘어 돌아갑니다 — 최대 파티션 수만큼입니다(남는 멤버가 어떻게 되는지는 시나리오 5).",
        });
      });
    },
  };
}

export const oneConsumerPerPartition: Scenario = oneConsumerPerPartitionWith(PartitionAssigners.roundRobin);
