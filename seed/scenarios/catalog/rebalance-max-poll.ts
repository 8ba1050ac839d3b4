// Scenario 10: a handler slower than max.poll.interval.ms makes its member leave the group (KIP-62),
// with the reason Java's consumer gives (KIP-800), and what it held is consumed again by the next
// owner. Then the eager protocol's cost: a member is merely slow when a newcomer joins, and the
// others stop at once and wait for it, so for a while nobody in the group consumes. Scenario 11
// runs that same churn with the protocols that stop less.

import { eventually } from "../admin-views.ts";
import type { Scenario } from "../scenario.ts";
import { kafkaOn, waitUntil } from "../toolkit.ts";
import { allGroupEvents, joinWhileSlow, list, Traffic, WatchedGroup } from "../watched-group.ts";

const TOPIC = "points.commands";
const PARTITIONS = 6;
const GROUP = "ledger";
const MAX_POLL_INTERVAL_MS = 3000;

export const rebalanceMaxPoll: Scenario = {
  name: "rebalance-max-poll",
  number: 10,
  title: {
    en: "Rebalance on max.poll.interval, and nobody consumes during an eager rebalance",
    ko: "max.poll.interval 초과에 따른 리밸런싱, 그리고 eager 리밸런싱 동안 멈추는 소비",
  },
  concept: {
    en: "A member whose handler takes longer than max.poll.interval.ms leaves the group by itself so its partitions move on. With the eager protocol every rebalance stops the whole group: each member gives up all its partitions until the new assignment.",
    ko: "핸들러가 max.poll.interval.ms보다 오래 걸리면 멤버가 스스로 그룹을 떠나 파티션을 넘겨줍니다. eager 방식에서는 리밸런싱할 때마다 그룹 전체가 멈춥니다. 모든 멤버가 새 할당을 받을 때까지 파티션을 전부 내려놓기 때문입니다.",
  },
  brokers: 1,
  async run(context) {
    const { system } = context;
    const admin = kafkaOn(system, "scenario-admin").admin();
    const traffic = new Traffic(system, TOPIC);
    const group = new WatchedGroup({
      system,
      groupId: GROUP,
      topic: TOPIC,
      consumer: { maxPollInterval: MAX_POLL_INTERVAL_MS },
    });
    let release = (): void => undefined;
    try {
      context.step({
        en: `Create ${TOPIC} (${PARTITIONS} partitions); ledger-1 and ledger-2 consume it (eager protocol, max.poll.interval.ms = ${MAX_POLL_INTERVAL_MS})`,
        ko: `${TOPIC} 토픽(파티션 ${PARTITIONS}개)을 만들고 ledger-1, ledger-2가 소비합니다 (eager 방식, max.poll.interval.ms = ${MAX_POLL_INTERVAL_MS})`,
      });
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
      await traffic.start();
      const first = await group.start("ledger-1");
      await waitUntil("ledger-1 to own every partition", () => first.owned().length === PARTITIONS);
      const slow = await group.start("ledger-2");
      await waitUntil("both members to own half each", () => first.owned().length === 3 && slow.owned().length === 3);
      const owned = first.owned();
      context.explain({
        en: `ledger-1 ${list(owned)}, ledger-2 ${list(slow.owned())}.`,
        ko: `ledger-1 ${list(owned)}, ledger-2 ${list(slow.owned())}.`,
      });

      context.step({
        en: "ledger-2's handler hangs on a record (a payment system that does not answer)",
        ko: "ledger-2의 핸들러가 레코드 하나에서 멈춥니다 (응답 없는 결제 시스템 호출)",
      });
      const hang = slow.stall();
      let releaseHang = hang.release;
      release = () => releaseHang();
      const stuck = await hang.stuck;
      context.explain({
        en:
          `It is stuck on partition ${stuck.partition} offset ${stuck.offset}. ledger-2 still heartbeats (on its own timer), so the ` +
          `session timeout will not catch it. After ${MAX_POLL_INTERVAL_MS} ms in one call the client gives up its ` +
          "partitions and sends LeaveGroup with a reason, as Java's consumer does.",
        ko:
          `파티션 ${stuck.partition}, 오프셋 ${stuck.offset}에서 멈췄습니다. ledger-2는 별도 타이머로 하트비트를 계속 보내므로 세션 ` +
          `타임아웃에는 걸리지 않습니다. 한 호출이 ${MAX_POLL_INTERVAL_MS} ms를 넘기면 클라이언트가 Java 컨슈머처럼 ` +
          "파티션을 포기하고 사유를 담아 LeaveGroup을 보냅니다.",
      });
      await waitUntil(
        "ledger-1 to take over every partition",
        () => group.ownedByOthers("ledger-2").length === PARTITIONS,
      );
      const events = await allGroupEvents(system.adminUrls, GROUP);
      const leave = events.find((e) => e.kind === "member-left" && e.clientId === "ledger-2");
      context.explain({
        en: `The broker's event: member-left — "${leave?.cause ?? "none"}"`,
        ko: `브로커 이벤트: member-left — "${leave?.cause ?? "없음"}"`,
      });
      context.look("timeline", {
        en: "the leave and its KIP-800 reason on the rebalance timeline",
        ko: "리밸런스 타임라인에서 이탈과 KIP-800 사유",
      });
      context.check(
        leave?.cause.includes("consumer poll timeout has expired") === true,
        {
          en: "the stalled member left with the poll-timeout reason (KIP-800)",
          ko: "멈춘 멤버가 poll 타임아웃 사유(KIP-800)를 달고 그룹을 떠났다",
        },
        leave?.cause ?? `events: ${events.map((e) => `${e.kind} ${e.cause}`).join("; ")}`,
      );
      context.check(
        leave !== undefined && leave.time >= stuck.at + MAX_POLL_INTERVAL_MS,
        {
          en: "it left once its handler call had run past max.poll.interval.ms, not before",
          ko: "핸들러 호출이 max.poll.interval.ms를 넘긴 뒤에야 떠났다",
        },
        leave ? `left ${leave.time - stuck.at} ms after the call began` : "no leave",
      );
      const redelivered = await eventually(() =>
        group.handled.some(
          (h) =>
            h.member === "ledger-1" && h.at > stuck.at && h.partition === stuck.partition && h.offset === stuck.offset,
        ),
      );
      context.check(
        redelivered,
        {
          en: `nothing of the lost generation was committed: ledger-1 handled partition ${stuck.partition} offset ${stuck.offset} again (at-least-once, so the ledger's handler is idempotent)`,
          ko: `잃어버린 제너레이션의 오프셋은 커밋되지 않았다: ledger-1이 파티션 ${stuck.partition}의 오프셋 ${stuck.offset}을 다시 처리했다 (at-least-once이므로 원장 핸들러는 멱등이다)`,
        },
        group.describe(),
      );

      context.step({
        en: "The hung call returns; ledger-2 joins again as a new member",
        ko: "멈췄던 호출이 돌아오고, ledger-2가 새 멤버로 다시 들어옵니다",
      });
      const soloGeneration = first.generation()!;
      hang.release();
      await waitUntil(
        "ledger-1 and ledger-2 to share the partitions in a new generation",
        () =>
          first.generation()! > soloGeneration &&
          slow.generation() === first.generation() &&
          first.owned().length === 3 &&
          slow.owned().length === 3,
      );
      const rejoin = (await allGroupEvents(system.adminUrls, GROUP)).find(
        (e) => e.kind === "member-joined" && e.clientId === "ledger-2" && e.time > (leave?.time ?? 0),
      );
      context.check(
        rejoin !== undefined,
        {
          en: "once its call returned, ledger-2 joined again as a new member",
          ko: "호출이 끝나자 ledger-2가 새 멤버로 다시 들어왔다",
        },
        rejoin?.cause ?? "no new join",
      );

      context.step({
        en: "Now a rebalance while a member is merely slow: ledger-2's handler takes long on a record, and ledger-3 joins",
        ko: "이번에는 멤버가 그냥 느릴 때의 리밸런싱: ledger-2의 핸들러가 레코드 하나를 오래 처리하는 동안 ledger-3이 들어옵니다",
      });
      const kept = first.owned();
      // The slow call ends once ledger-1 has stopped and commands have piled up meanwhile.
      const join = await joinWhileSlow(group, slow, { name: "ledger-3" }, (joinedAt) => {
        const revoked = group.changes.find((c) => c.member === "ledger-1" && c.kind === "revoked" && c.at >= joinedAt);
        return revoked !== undefined && traffic.sentBetween(revoked.at, Date.now()).length >= 20;
      });
      releaseHang = () => undefined;
      await waitUntil(
        "the three members to share every partition",
        () => group.ownedByOthers("").length === PARTITIONS && group.member("ledger-3").owned().length > 0,
      );
      const revoke = group.changes.find(
        (c) => c.member === "ledger-1" && c.kind === "revoked" && c.at >= join.joinedAt,
      );
      const assigned = group.changes.find(
        (c) => c.kind === "assigned" && c.at >= (revoke?.at ?? Number.POSITIVE_INFINITY),
      );
      const stoppedFrom = revoke?.at ?? 0;
      const stoppedTo = assigned?.at ?? 0;
      const consumedMeanwhile = group.handled.filter((h) => h.at > stoppedFrom && h.at < stoppedTo);
      const waited = traffic.sentBetween(stoppedFrom, stoppedTo);
      context.explain({
        en:
          `ledger-1 learnt of the rebalance at its next heartbeat and gave up ${list(revoke?.partitions ?? [])} at once; the rebalance then waited ` +
          `for ledger-2 to finish its call and rejoin. For ${stoppedTo - stoppedFrom} ms no member consumed anything: ` +
          `${waited.length} commands arrived meanwhile, ${consumedMeanwhile.length} were consumed. A slow member stops the whole group.`,
        ko:
          `ledger-1은 다음 하트비트에서 리밸런스를 알고 곧바로 ${list(revoke?.partitions ?? [])} 파티션을 내려놓았고, 리밸런스는 ledger-2가 ` +
          `호출을 끝내고 다시 JoinGroup 할 때까지 기다렸습니다. ${stoppedTo - stoppedFrom} ms 동안 어떤 멤버도 소비하지 않았습니다: ` +
          `그사이 커맨드 ${waited.length}개가 들어왔고 소비된 것은 ${consumedMeanwhile.length}개입니다. 느린 멤버 하나가 그룹 전체를 멈춥니다.`,
      });
      context.check(
        revoke !== undefined && revoke.reason === "rebalance" && revoke.partitions.join() === kept.join(),
        {
          en: "eager: ledger-1 gave up every partition it owned, even those it would keep",
          ko: "eager: ledger-1은 계속 맡게 될 파티션까지 포함해 가진 파티션을 모두 내려놓았다",
        },
        revoke ? `revoked ${list(revoke.partitions)} (${revoke.reason}), owned ${list(kept)}` : "no revocation",
      );
      context.check(
        join.conditionMet && assigned !== undefined && consumedMeanwhile.length === 0 && waited.length >= 20,
        {
          en: "no member of the group consumed anything from then until the new assignment, while commands kept arriving",
          ko: "그때부터 새 할당까지 그룹의 어떤 멤버도 아무것도 소비하지 않았고, 그동안에도 커맨드는 계속 들어왔다",
        },
        `consumed ${consumedMeanwhile.length}, arrived ${waited.length}, window ${stoppedTo - stoppedFrom} ms, release condition met: ${join.conditionMet}`,
      );
      context.explain({
        en: "Scenario 11 (less-stopping) runs this same churn with cooperative rebalancing and KIP-848, where the others keep consuming.",
        ko: "시나리오 11(less-stopping)은 같은 상황을 cooperative 리밸런싱과 KIP-848로 돌려, 다른 멤버들이 계속 소비하는 모습을 보여 줍니다.",
      });
      context.look("groups", { en: "the lag the pause left behind", ko: "멈춤이 남긴 랙" });
    } finally {
      release();
      await group.stopAll();
      await traffic.stop();
      await admin.disconnect().catch(() => undefined);
    }
  },
};
