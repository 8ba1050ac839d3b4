// Scenario 5: a surplus consumer. Three members of one group on a topic of two partitions: one
// member gets nothing and reads nothing. When a member that owns a partition leaves, the group
// rebalances and the idle one takes the partition over.
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

const PARTITIONS = 2;
const MEMBERS = 3;
const USERS = 10;

export const surplusConsumer: Scenario = {
  name: "surplus-consumer",
  number: 5,
  title: { en: "More consumers than partitions", ko: "파티션보다 컨슈머가 많을 때" },
  concept: {
    en: "A partition has at most one owner in a group, so members beyond the partition count get no partition and stay idle — a hot standby that takes over when another member leaves.",
    ko: "그룹 안에서 파티션의 주인은 최대 하나이므로, 파티션 수보다 많은 멤버는 파티션을 받지 못하고 쉬게 됩니다 — 다른 멤버가 나가면 대신 맡는 대기 멤버입니다.",
  },
  brokers: 1,
  async run(context) {
    const users = userIds(USERS);
    await withClients(context.system, async (clients) => {
      context.step({
        en: `Create ${COMMANDS_TOPIC} with ${PARTITIONS} partitions and start ${MEMBERS} members of the group "ledger"`,
        ko: `${COMMANDS_TOPIC} 토픽을 파티션 ${PARTITIONS}개로 만들고 "ledger" 그룹의 멤버 ${MEMBERS}개를 시작합니다`,
      });
      await clients.createTopic(COMMANDS_TOPIC, PARTITIONS);
      const members: WatchedMember[] = [];
      for (let i = 1; i <= MEMBERS; i++)
        members.push(await startMember(clients, `ledger-${i}`, "ledger", COMMANDS_TOPIC));
      const assignments = () => members.map((m) => `${m.name}: [${m.assigned}]`).join(", ");
      await waitUntil(
        () => `the group settled with every partition owned (${assignments()})`,
        () =>
          members.every((m) => m.joins > 0 && !m.rebalancing) &&
          members.reduce((n, m) => n + m.assigned.length, 0) === PARTITIONS,
      );
      const idle = members.filter((m) => m.assigned.length === 0);
      context.explain({ en: assignments(), ko: assignments() });
      context.check(
        idle.length === MEMBERS - PARTITIONS,
        {
          en: `${MEMBERS} members, ${PARTITIONS} partitions: ${MEMBERS - PARTITIONS} member owns nothing`,
          ko: `멤버 ${MEMBERS}개, 파티션 ${PARTITIONS}개: 멤버 ${MEMBERS - PARTITIONS}개는 아무것도 맡지 않습니다`,
        },
        assignments(),
      );
      const spare = idle[0]!;
      context.look("groups", {
        en: `${spare.name} is listed in the group with no partition`,
        ko: `그룹 화면에서 ${spare.name}은(는) 파티션 없이 멤버로만 보입니다`,
      });

      context.step({
        en: `Send ${USERS} commands`,
        ko: `명령 ${USERS}개를 보냅니다`,
      });
      const producer = await clients.producer();
      await sendCommands(producer, COMMANDS_TOPIC, users);
      const busy = members.filter((m) => m !== spare);
      const readByBusy = () => busy.reduce((n, m) => n + m.seen.length, 0);
      await waitUntil(
        () => `the owners read all ${USERS} (${readByBusy()} so far)`,
        () => readByBusy() >= USERS,
      );
      context.check(
        spare.seen.length === 0,
        {
          en: `${spare.name} read nothing while the others read all ${USERS}`,
          ko: `다른 멤버들이 ${USERS}개를 모두 읽는 동안 ${spare.name}은(는) 하나도 읽지 않았습니다`,
        },
        `${spare.seen.length} read`,
      );

      const leaving = busy[0]!;
      context.step({
        en: `${leaving.name} (partition ${leaving.assigned.join(", ")}) leaves the group`,
        ko: `${leaving.name}(파티션 ${leaving.assigned.join(", ")}번 담당)이(가) 그룹을 떠납니다`,
      });
      context.explain({
        en: "It sends LeaveGroup; the coordinator starts a rebalance and the partitions are assigned again among those left.",
        ko: "LeaveGroup 요청을 보내면 코디네이터가 리밸런싱을 시작하고, 남은 멤버끼리 파티션을 다시 나눕니다.",
      });
      await leaving.consumer.disconnect();
      await waitUntil(
        () => `${spare.name} to own a partition (${assignments()})`,
        () => !spare.rebalancing && spare.assigned.length > 0,
      );
      const after = members
        .filter((m) => m !== leaving)
        .map((m) => `${m.name}: [${m.assigned}]`)
        .join(", ");
      context.explain({
        en: `after the rebalance: ${after} (the assigner deals the partitions out afresh, so the spare may get either one)`,
        ko: `리밸런싱 후: ${after} (어사이너가 파티션을 처음부터 다시 나누므로 대기 멤버가 어느 파티션을 받을지는 정해져 있지 않습니다)`,
      });
      context.look("timeline", {
        en: "the rebalance timeline shows the leave and the new assignment",
        ko: "리밸런싱 타임라인에서 탈퇴와 새 할당을 볼 수 있습니다",
      });
      const nextUsers = userIds(USERS * 2).slice(USERS);
      await sendCommands(producer, COMMANDS_TOPIC, nextUsers);
      const stayers = members.filter((m) => m !== leaving);
      const readAfter = () => stayers.reduce((n, m) => n + m.seen.length, 0);
      await waitUntil(
        () => `the ${USERS} new commands read (${readAfter() - (readByBusy() - leaving.seen.length)} so far)`,
        () => nextUsers.every((u) => stayers.some((m) => m.seen.some((r) => r.key === u))),
      );
      context.check(
        spare.seen.length > 0 && spare.partitionsRead().every((p) => spare.assigned.includes(p)),
        {
          en: `${spare.name} took over partition ${spare.assigned.join(", ")} and reads it`,
          ko: `${spare.name}이(가) 파티션 ${spare.assigned.join(", ")}번을 넘겨받아 읽습니다`,
        },
        `${spare.seen.length} read from partition(s) ${spare.partitionsRead().join(", ")}`,
      );
      context.explain({
        en: "More members than partitions buys availability, not throughput: to read faster, add partitions.",
        ko: "파티션보다 멤버를 더 두면 가용성은 얻지만 처리량은 늘지 않습니다: 더 빨리 읽으려면 파티션을 늘려야 합니다.",
      });
    });
  },
};
