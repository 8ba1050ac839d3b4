// Scenario 11: the churn of scenario 10 (a member busy with a slow record while a newcomer joins)
// with the protocols that stop less. Cooperative rebalancing (KIP-429) and the consumer group
// protocol (KIP-848) move only the partitions that change owner, so the other members go on
// consuming while the group waits for the slow one; static membership (KIP-345) lets a member
// restart within its session timeout without any rebalance at all.
import type { ConsumerConfig } from "../../../broker/client/index.ts";
import { PartitionAssigners } from "../../../broker/client/index.ts";
import type { Scenario, ScenarioContext } from "../scenario.ts";
import { kafkaOn, waitUntil } from "../toolkit.ts";
import { allGroupEvents, joinWhileSlow, list, Traffic, WatchedGroup } from "../watched-group.ts";

const TOPIC = "points.commands";
const PARTITIONS = 6;
/** How many records the first member must handle while the group waits for the slow one. */
const CONSUMED_WHILE_WAITING = 20;
/** The slow call ends after this at the latest (the first member never got that far: the check fails). */
const SLOW_CALL_MAX_MS = 5000;

/**
 * ledger-1 and ledger-2 consume; ledger-2 takes long over a record while ledger-3 joins. The slow call
 * ends once ledger-1 has handled CONSUMED_WHILE_WAITING records meanwhile (with eager rebalancing,
 * scenario 10, it would have handled none).
 */
async function churnWithoutStopping(
  context: ScenarioContext,
  traffic: Traffic,
  groupId: string,
  config: Partial<ConsumerConfig>,
): Promise<void> {
  const group = new WatchedGroup({ system: context.system, groupId, topic: TOPIC, consumer: config });
  try {
    const first = await group.start("ledger-1");
    const slow = await group.start("ledger-2");
    await waitUntil(
      () => `ledger-1 and ledger-2 to own half each (${group.describe()})`,
      () => first.owned().length === 3 && slow.owned().length === 3,
    );
    const before = first.owned();
    context.explain({
      en: `ledger-1 ${list(before)}, ledger-2 ${list(slow.owned())}. Now ledger-2 takes long over a record while ledger-3 joins.`,
      ko: `ledger-1 ${list(before)}, ledger-2 ${list(slow.owned())}. 이제 ledger-2가 레코드 하나를 오래 처리하는 동안 ledger-3이 들어옵니다.`,
    });
    const join = await joinWhileSlow(
      group,
      slow,
      { name: "ledger-3" },
      (joinedAt) => group.handledBy("ledger-1", joinedAt, Date.now(), before).length >= CONSUMED_WHILE_WAITING,
      SLOW_CALL_MAX_MS,
    );
    await waitUntil(
      () => `the three members to own two partitions each (${group.describe()})`,
      () => ["ledger-1", "ledger-2", "ledger-3"].every((name) => group.member(name).owned().length === 2),
    );
    const after = first.owned();
    const consumed = group.handledBy("ledger-1", join.joinedAt, join.releasedAt, before);
    const revoked = group.changes
      .filter((c) => c.member === "ledger-1" && c.kind === "revoked" && c.at >= join.joinedAt)
      .flatMap((c) => c.partitions);
    const kept = before.filter((p) => after.includes(p));
    context.explain({
      en: `While ledger-2 was busy and ledger-3 joining, ${traffic.sentBetween(join.joinedAt, join.releasedAt).length} commands arrived and ledger-1 handled ${consumed.length} records of its partitions. It gave up only ${list(revoked)} and kept ${list(kept)}; ledger-3 now owns ${list(group.member("ledger-3").owned())}.`,
      ko: `ledger-2가 바쁘고 ledger-3이 들어오는 동안 커맨드 ${traffic.sentBetween(join.joinedAt, join.releasedAt).length}개가 들어왔고, ledger-1은 자기 파티션의 레코드 ${consumed.length}개를 처리했습니다. 내려놓은 것은 ${list(revoked)} 파티션뿐이고 ${list(kept)} 파티션은 그대로 유지했으며, ledger-3은 이제 ${list(group.member("ledger-3").owned())} 파티션을 맡습니다.`,
    });
    context.check(
      join.conditionMet && consumed.length >= CONSUMED_WHILE_WAITING,
      {
        en: "ledger-1 kept consuming while ledger-2 was busy and ledger-3 joined (eagerly it would have stopped)",
        ko: "ledger-2가 바쁘고 ledger-3이 들어오는 동안에도 ledger-1은 계속 소비했다 (eager였다면 멈췄을 것이다)",
      },
      `ledger-1 handled ${consumed.length} records in ${join.releasedAt - join.joinedAt} ms`,
    );
    context.check(
      kept.length > 0 && revoked.length > 0 && revoked.every((p) => !after.includes(p)),
      {
        en: "only the partitions that moved were revoked; the kept ones were never interrupted",
        ko: "옮겨 가는 파티션만 회수됐고, 남는 파티션은 한 번도 멈추지 않았다",
      },
      `before ${list(before)}, revoked ${list(revoked)}, after ${list(after)}`,
    );
  } finally {
    await group.stopAll();
  }
}

/** ledger-2, a static member, restarts within its session timeout: it gets its partitions back and nobody rebalances. */
async function staticRestart(context: ScenarioContext): Promise<void> {
  const groupId = "ledger-static";
  const group = new WatchedGroup({ system: context.system, groupId, topic: TOPIC });
  try {
    const first = await group.start("ledger-1", { groupInstanceId: "ledger-1" });
    const second = await group.start("ledger-2", { groupInstanceId: "ledger-2" });
    await waitUntil(
      () => `both static members to own half each (${group.describe()})`,
      () => first.owned().length === 3 && second.owned().length === 3 && first.generation() === second.generation(),
    );
    const generation = first.generation()!;
    const owned = second.owned();
    context.explain({
      en: `ledger-1 ${list(first.owned())}, ledger-2 ${list(owned)} (generation ${generation}). ledger-2 stops — a static member sends no LeaveGroup — and starts again with the same group.instance.id.`,
      ko: `ledger-1 ${list(first.owned())}, ledger-2 ${list(owned)} (제너레이션 ${generation}). ledger-2가 멈춥니다. 정적 멤버는 LeaveGroup을 보내지 않습니다. 그리고 같은 group.instance.id로 다시 시작합니다.`,
    });
    const restartedAt = Date.now();
    await second.stop();
    const restarted = await group.start("ledger-2-restarted", { groupInstanceId: "ledger-2" });
    await waitUntil("the restarted member to get partitions", () => restarted.owned().length > 0);
    const events = await allGroupEvents(context.system.adminUrls, groupId);
    const rejoin = events.find((e) => e.kind === "static-member-rejoined" && e.time >= restartedAt);
    const rebalances = events.filter((e) => e.kind === "rebalance-started" && e.time >= restartedAt);
    const firstChanges = group.changes.filter((c) => c.member === "ledger-1" && c.at >= restartedAt);
    context.explain({
      en: `The broker's event: static-member-rejoined — "${rejoin?.cause ?? "none"}"`,
      ko: `브로커 이벤트: static-member-rejoined — "${rejoin?.cause ?? "없음"}"`,
    });
    context.check(
      restarted.owned().join() === owned.join() && rejoin !== undefined,
      {
        en: "the restarted member got exactly its old partitions back",
        ko: "다시 시작한 멤버가 예전 파티션을 그대로 돌려받았다",
      },
      `before ${list(owned)}, after ${list(restarted.owned())}`,
    );
    context.check(
      rebalances.length === 0 && firstChanges.length === 0 && first.generation() === generation,
      {
        en: "no rebalance: the other member's assignment and the generation did not change",
        ko: "리밸런싱이 없었다: 다른 멤버의 할당도, 제너레이션도 그대로다",
      },
      `rebalances ${rebalances.length}, ledger-1's changes ${firstChanges.length}, generation ${generation} → ${first.generation()}`,
    );
  } finally {
    await group.stopAll();
  }
}

/**
 * The scenario with the consumer settings of its cooperative part given: `lessStopping` passes the
 * cooperative-sticky assignor; a test passes eager ones and sees the checks fail.
 */
export function lessStoppingWith(cooperative: Partial<ConsumerConfig>): Scenario {
  return {
    name: "less-stopping",
    number: 11,
    title: {
      en: "Cooperative, static and KIP-848: the same churn with less stopping",
      ko: "cooperative, 정적 멤버십, KIP-848: 같은 변화에도 덜 멈추기",
    },
    concept: {
      en: "Cooperative rebalancing and the KIP-848 consumer protocol move only the partitions that change owner, so the other members keep consuming; a static member (group.instance.id) may restart within its session timeout without any rebalance.",
      ko: "cooperative 리밸런싱과 KIP-848 컨슈머 프로토콜은 주인이 바뀌는 파티션만 옮기므로 나머지 멤버는 계속 소비합니다. 정적 멤버(group.instance.id)는 세션 타임아웃 안에 재시작하면 리밸런싱이 아예 일어나지 않습니다.",
    },
    brokers: 1,
    // KIP-848 members learn of a new assignment at their next heartbeat, whose interval the broker sets.
    brokerConfigs: { "group.consumer.heartbeat.interval.ms": "500" },
    async run(context) {
      const { system } = context;
      const admin = kafkaOn(system, "scenario-admin").admin();
      const traffic = new Traffic(system, TOPIC);
      try {
        context.step({
          en: `Create ${TOPIC} (${PARTITIONS} partitions) and keep the POS terminals charging points`,
          ko: `${TOPIC} 토픽(파티션 ${PARTITIONS}개)을 만들고 POS 단말이 계속 포인트 적립 커맨드를 보내게 합니다`,
        });
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
        await traffic.start();

        context.step({
          en: "Cooperative rebalancing (KIP-429): the cooperative-sticky assignor",
          ko: "cooperative 리밸런싱 (KIP-429): cooperative-sticky 어사이너",
        });
        context.explain({
          en: "Members rejoin while still consuming, listing what they own; the first new generation revokes only what must move, a second one hands it to its new owner.",
          ko: "멤버들은 소비를 계속하면서 가진 파티션을 알리며 다시 JoinGroup 합니다. 첫 번째 새 제너레이션은 옮겨야 할 파티션만 회수하고, 두 번째 제너레이션이 그것을 새 주인에게 줍니다.",
        });
        await churnWithoutStopping(context, traffic, "ledger-cooperative", cooperative);
        context.look("timeline", {
          en: "two short rebalances, and lanes without gaps",
          ko: "짧은 리밸런스 두 번, 그리고 끊기지 않은 레인",
        });

        context.step({
          en: 'The consumer group protocol (KIP-848, group.protocol "consumer")',
          ko: '컨슈머 그룹 프로토콜 (KIP-848, group.protocol "consumer")',
        });
        context.explain({
          en: "No JoinGroup and no group-wide barrier: each member heartbeats, and the broker computes the target assignment and moves partitions member by member.",
          ko: "JoinGroup도, 그룹 전체가 멈추는 지점도 없습니다. 멤버는 하트비트만 보내고, 브로커가 목표 할당을 계산해 멤버별로 파티션을 옮깁니다.",
        });
        await churnWithoutStopping(context, traffic, "ledger-kip848", { groupProtocol: "consumer" });

        context.step({
          en: "Static membership (KIP-345): a restart within the session timeout",
          ko: "정적 멤버십 (KIP-345): 세션 타임아웃 안의 재시작",
        });
        await staticRestart(context);
        context.look("groups", { en: "the same members, the same partitions", ko: "같은 멤버, 같은 파티션" });
      } finally {
        await traffic.stop();
        await admin.disconnect().catch(() => undefined);
      }
    },
  };
}

export const lessStopping: Scenario = lessStoppingWith({ partitionAssigners: [PartitionAssigners.cooperativeSticky] });
