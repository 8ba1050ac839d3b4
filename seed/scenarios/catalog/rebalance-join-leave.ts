// Scenario 8: a member joins a consumer group and the group rebalances (a new generation, some
// partitions move to the newcomer); it leaves and the group rebalances again (its partitions go
// back). Checked from the members' own assignment events and from the coordinator's group events.
import type { Scenario } from "../scenario.ts";
import { kafkaOn, waitUntil } from "../toolkit.ts";
import { allGroupEvents, list, Traffic, WatchedGroup } from "../watched-group.ts";

const TOPIC = "points.commands";
const PARTITIONS = 6;
const GROUP = "ledger";
const ALL = [...Array(PARTITIONS).keys()];

export const rebalanceJoinLeave: Scenario = {
  name: "rebalance-join-leave",
  number: 8,
  title: { en: "Rebalance on join and on leave", ko: "멤버 참여와 이탈에 따른 리밸런싱" },
  concept: {
    en: "When a member joins or leaves a consumer group, the group rebalances: a new generation starts and the partitions are divided again among the members now present.",
    ko: "컨슈머 그룹에 멤버가 들어오거나 나가면 리밸런싱이 일어납니다. 새 제너레이션이 시작되고, 지금 있는 멤버들끼리 파티션을 다시 나눠 갖습니다.",
  },
  brokers: 1,
  async run(context) {
    const { system } = context;
    const admin = kafkaOn(system, "scenario-admin").admin();
    const traffic = new Traffic(system, TOPIC);
    const group = new WatchedGroup({ system, groupId: GROUP, topic: TOPIC });
    try {
      context.step({
        en: `Create ${TOPIC} with ${PARTITIONS} partitions and keep the POS terminals charging points`,
        ko: `파티션 ${PARTITIONS}개짜리 ${TOPIC} 토픽을 만들고, POS 단말이 계속 포인트 적립 커맨드를 보내게 합니다`,
      });
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
      await traffic.start();

      context.step({
        en: `ledger-1 joins the group "${GROUP}" alone`,
        ko: `ledger-1이 혼자 "${GROUP}" 컨슈머 그룹에 들어갑니다`,
      });
      const first = await group.start("ledger-1");
      await waitUntil("ledger-1 to own every partition", () => first.owned().length === PARTITIONS);
      const soloGeneration = first.generation()!;
      context.explain({
        en: `The only member gets all ${PARTITIONS} partitions: ${list(first.owned())}, generation ${soloGeneration}.`,
        ko: `멤버가 하나뿐이니 파티션 ${PARTITIONS}개를 전부 가져갑니다: ${list(first.owned())}, 제너레이션 ${soloGeneration}.`,
      });
      context.check(
        first.owned().join() === ALL.join(),
        { en: "a lone member owns every partition", ko: "멤버가 하나면 모든 파티션을 혼자 맡는다" },
        group.describe(),
      );

      context.step({ en: "ledger-2 joins the group", ko: "ledger-2가 그룹에 들어옵니다" });
      const joinedAt = Date.now();
      const second = await group.start("ledger-2");
      await waitUntil(
        "both members to own partitions in a new generation",
        () =>
          second.owned().length > 0 &&
          first.generation()! > soloGeneration &&
          first.owned().length + second.owned().length === PARTITIONS,
      );
      context.explain({
        en:
          "The coordinator answers ledger-1's next heartbeat with REBALANCE_IN_PROGRESS; every member joins again " +
          "(JoinGroup), the leader divides the partitions and SyncGroup hands each its share. Eager protocol: " +
          "ledger-1 first gave up everything, then got its half back.",
        ko:
          "코디네이터는 ledger-1의 다음 하트비트에 REBALANCE_IN_PROGRESS로 답합니다. 모든 멤버가 다시 JoinGroup을 보내고, " +
          "리더가 파티션을 나눈 뒤 SyncGroup으로 각자 몫을 받습니다. eager 방식이라 ledger-1은 가진 파티션을 모두 내려놓았다가 절반을 다시 받았습니다.",
      });
      const sharedGeneration = first.generation()!;
      const moved = ALL.filter((p) => second.owned().includes(p));
      context.explain({
        en: `Generation ${soloGeneration} → ${sharedGeneration}: ledger-1 ${list(first.owned())}, ledger-2 ${list(second.owned())}`,
        ko: `제너레이션 ${soloGeneration} → ${sharedGeneration}: ledger-1 ${list(first.owned())}, ledger-2 ${list(second.owned())}`,
      });
      context.look("groups", { en: "members and their partitions", ko: "멤버별로 맡은 파티션" });
      context.look("timeline", {
        en: "the rebalance, with its cause, on the timeline",
        ko: "리밸런스 타임라인에서 원인과 함께 보기",
      });
      context.check(
        sharedGeneration > soloGeneration && second.generation() === sharedGeneration,
        { en: "the join started a new generation", ko: "멤버 참여로 새 제너레이션이 시작됐다" },
        `before ${soloGeneration}, ledger-1 ${sharedGeneration}, ledger-2 ${second.generation()}`,
      );
      context.check(
        moved.length > 0 && moved.every((p) => !first.owned().includes(p)),
        {
          en: "some of ledger-1's partitions moved to ledger-2, none is owned twice",
          ko: "ledger-1의 파티션 일부가 ledger-2로 옮겨졌고, 두 멤버가 같은 파티션을 갖지 않는다",
        },
        group.describe(),
      );
      context.check(
        Math.abs(first.owned().length - second.owned().length) <= 1,
        { en: "the partitions are shared evenly", ko: "파티션이 고르게 나뉘었다" },
        group.describe(),
      );
      await waitUntil("ledger-2 to consume its partitions", () =>
        group.handled.some((r) => r.member === "ledger-2" && r.at >= joinedAt),
      );

      context.step({
        en: "ledger-2 leaves (it stops cleanly and sends LeaveGroup)",
        ko: "ledger-2가 그룹을 떠납니다 (정상 종료하면서 LeaveGroup을 보냄)",
      });
      const leftAt = Date.now();
      await second.stop();
      await waitUntil("ledger-1 to own every partition again", () => first.owned().length === PARTITIONS);
      const finalGeneration = first.generation()!;
      context.explain({
        en: `Without waiting for any timeout the group rebalances: generation ${finalGeneration}, ledger-1 takes ${list(moved)} back and consumes from the offsets ledger-2 committed.`,
        ko: `타임아웃을 기다리지 않고 바로 리밸런싱됩니다: 제너레이션 ${finalGeneration}, ledger-1이 ${list(moved)} 파티션을 다시 맡고 ledger-2가 커밋한 오프셋부터 이어서 읽습니다.`,
      });
      context.check(
        finalGeneration > sharedGeneration && first.owned().join() === ALL.join(),
        {
          en: "the leave started another generation, and the remaining member owns everything again",
          ko: "이탈로 또 새 제너레이션이 시작됐고, 남은 멤버가 다시 모든 파티션을 맡는다",
        },
        `generation ${finalGeneration}, ${group.describe()}`,
      );
      await waitUntil("ledger-1 to consume a partition ledger-2 had", () =>
        group.handled.some((r) => r.member === "ledger-1" && r.at >= leftAt && moved.includes(r.partition)),
      );

      context.step({
        en: "What the coordinator recorded (the broker's admin listener, /v1/events/history)",
        ko: "코디네이터가 남긴 기록 (브로커 admin 리스너의 /v1/events/history)",
      });
      const events = await allGroupEvents(system.adminUrls, GROUP);
      for (const event of events.filter((e) => e.kind === "member-joined" || e.kind === "member-left"))
        context.explain({ en: `${event.kind}: ${event.cause}`, ko: `${event.kind}: ${event.cause}` });
      const joins = events.filter((e) => e.kind === "member-joined").length;
      const leave = events.find((e) => e.kind === "member-left" && e.clientId === "ledger-2");
      const rebalances = events.filter((e) => e.kind === "rebalance-completed").length;
      context.check(
        joins >= 2 && leave !== undefined && rebalances >= 3,
        {
          en: "the broker recorded both joins, the LeaveGroup and a completed rebalance for each",
          ko: "브로커가 두 번의 참여, LeaveGroup, 그리고 매번 끝난 리밸런스를 기록했다",
        },
        `joins ${joins}, leave ${leave?.cause}, rebalances completed ${rebalances}`,
      );
    } finally {
      await group.stopAll();
      await traffic.stop();
      await admin.disconnect().catch(() => undefined);
    }
  },
};
