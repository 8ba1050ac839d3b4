// Scenario 9: a member that stops heartbeating is removed from its group once its session timeout
// has run out, and its partitions go to the others. The silent member speaks the wire protocol
// itself (JoinGroup, SyncGroup, then nothing), because our client heartbeats on a timer of its own:
// it behaves as a consumer process frozen by SIGSTOP or a long GC pause. The broker's group events
// say why it was removed.

import { AssignerProtocol } from "../../../broker/client/index.ts";
import { createLogger, logLevel } from "../../../broker/client/logger.ts";
import { BrokerConnection } from "../../../broker/client/network/broker-connection.ts";
import { Apis } from "../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import type { Scenario } from "../scenario.ts";
import { kafkaOn, waitUntil } from "../toolkit.ts";
import { allGroupEvents, list, Traffic, WatchedGroup } from "../watched-group.ts";

const TOPIC = "points.commands";
const PARTITIONS = 4;
const GROUP = "ledger";
const SILENT_SESSION_TIMEOUT_MS = 3000;

/** A group member that joins and syncs like any consumer, then never sends another heartbeat. */
class SilentMember {
  private readonly connection: BrokerConnection;
  /** When its SyncGroup went out: the coordinator's last sign of life from it is at most this old. */
  syncSentAt = 0;

  constructor(address: string) {
    const [host, port] = address.split(":");
    this.connection = new BrokerConnection({
      host: host!,
      port: Number(port),
      clientId: "ledger-frozen",
      connectionTimeout: 3000,
      requestTimeout: 30_000,
      logger: createLogger(logLevel.NOTHING),
    });
  }

  /** Joins `GROUP` on `TOPIC` with the round-robin protocol our members use; resolves with its partitions. */
  async join(): Promise<{ memberId: string; generation: number; partitions: number[] }> {
    const metadata = AssignerProtocol.MemberMetadata.encode({ version: 0, topics: [TOPIC], userData: Buffer.alloc(0) });
    let memberId = "";
    for (;;) {
      const joined = await this.connection.request(
        Apis.JoinGroup,
        {
          groupId: GROUP,
          sessionTimeoutMs: SILENT_SESSION_TIMEOUT_MS,
          rebalanceTimeoutMs: 10_000,
          memberId,
          groupInstanceId: null,
          protocolType: "consumer",
          protocols: [{ name: "RoundRobinAssigner", metadata }],
        },
        { extraTimeout: 10_000 },
      );
      if (joined.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        memberId = joined.memberId;
        continue;
      }
      if (joined.errorCode !== ErrorCode.NONE) throw new Error(`JoinGroup failed with error code ${joined.errorCode}`);
      memberId = joined.memberId;
      const generation = joined.generationId ?? -1;
      // Should it lead (the group's first member left meanwhile), it divides the partitions itself.
      const members = joined.leader === memberId ? joined.members.map((m) => m.memberId).sort() : [];
      const assignments = members.map((member, index) => ({
        memberId: member,
        assignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: { [TOPIC]: [...Array(PARTITIONS).keys()].filter((p) => p % members.length === index) },
          userData: Buffer.alloc(0),
        }),
      }));
      this.syncSentAt = Date.now();
      const synced = await this.connection.request(
        Apis.SyncGroup,
        { groupId: GROUP, generationId: generation, memberId, groupInstanceId: null, assignments },
        { extraTimeout: 10_000 },
      );
      if (synced.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (synced.errorCode !== ErrorCode.NONE) throw new Error(`SyncGroup failed with error code ${synced.errorCode}`);
      const assignment = AssignerProtocol.MemberAssignment.decode(synced.assignment);
      return { memberId, generation, partitions: [...(assignment?.assignment[TOPIC] ?? [])].sort((a, b) => a - b) };
    }
  }

  close(): void {
    this.connection.disconnect();
  }
}

export const rebalanceSessionTimeout: Scenario = {
  name: "rebalance-session-timeout",
  number: 9,
  title: { en: "Rebalance on session timeout", ko: "세션 타임아웃에 따른 리밸런싱" },
  concept: {
    en: "A member proves it is alive with heartbeats; one that sends none for session.timeout.ms is removed by the group coordinator, and its partitions go to the others.",
    ko: "멤버는 하트비트로 살아 있음을 알립니다. session.timeout.ms 동안 하트비트가 없으면 그룹 코디네이터가 그 멤버를 내보내고, 그 파티션은 다른 멤버에게 넘어갑니다.",
  },
  brokers: 1,
  // Kafka's minimum session timeout is 6 s; lowered so the scenario waits 3 s rather than 6.
  brokerConfigs: { "group.min.session.timeout.ms": "1000" },
  async run(context) {
    const { system } = context;
    const admin = kafkaOn(system, "scenario-admin").admin();
    const traffic = new Traffic(system, TOPIC);
    const group = new WatchedGroup({ system, groupId: GROUP, topic: TOPIC });
    const silent = new SilentMember(system.bootstrap[0]!);
    try {
      context.step({
        en: `Create ${TOPIC} (${PARTITIONS} partitions); ledger-1 consumes it alone in the group "${GROUP}"`,
        ko: `${TOPIC} 토픽(파티션 ${PARTITIONS}개)을 만들고, ledger-1이 "${GROUP}" 그룹에서 혼자 소비합니다`,
      });
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
      await traffic.start();
      const survivor = await group.start("ledger-1");
      await waitUntil("ledger-1 to own every partition", () => survivor.owned().length === PARTITIONS);

      context.step({
        en: `ledger-frozen joins with a session timeout of ${SILENT_SESSION_TIMEOUT_MS} ms, gets its partitions — and never heartbeats again`,
        ko: `ledger-frozen이 세션 타임아웃 ${SILENT_SESSION_TIMEOUT_MS} ms로 그룹에 들어와 파티션을 받은 뒤, 하트비트를 한 번도 보내지 않습니다`,
      });
      context.explain({
        en: "Think of a consumer whose process froze (SIGSTOP, a stop-the-world GC pause, a VM suspended): its TCP connection stays open, it just says nothing.",
        ko: "프로세스가 멈춘 컨슈머(SIGSTOP, 긴 GC 정지, 일시 중지된 VM)라고 생각하면 됩니다. TCP 연결은 살아 있지만 아무 말도 하지 않습니다.",
      });
      const frozen = await silent.join();
      const joinedAt = Date.now();
      const rest = [...Array(PARTITIONS).keys()].filter((p) => !frozen.partitions.includes(p));
      await waitUntil("ledger-1 to own the other partitions", () => survivor.owned().join() === rest.join());
      context.explain({
        en: `Generation ${frozen.generation}: ledger-frozen owns ${list(frozen.partitions)}, ledger-1 ${list(survivor.owned())}. Records keyed to ${list(frozen.partitions)} now wait: nobody reads them.`,
        ko: `제너레이션 ${frozen.generation}: ledger-frozen이 ${list(frozen.partitions)}, ledger-1이 ${list(survivor.owned())} 파티션을 맡습니다. 이제 ${list(frozen.partitions)} 파티션에 쌓이는 레코드는 아무도 읽지 않고 기다립니다.`,
      });
      context.check(
        frozen.partitions.length > 0,
        { en: "the frozen member was given partitions", ko: "멈춘 멤버도 파티션을 배정받았다" },
        `ledger-frozen ${list(frozen.partitions)}, ${group.describe()}`,
      );
      context.look("groups", {
        en: "lag grows on the frozen member's partitions",
        ko: "멈춘 멤버의 파티션에서 랙(lag)이 쌓이는 모습",
      });

      context.step({
        en: `Wait: the coordinator counts ${SILENT_SESSION_TIMEOUT_MS} ms without a heartbeat`,
        ko: `기다립니다: 코디네이터가 하트비트 없는 ${SILENT_SESSION_TIMEOUT_MS} ms를 셉니다`,
      });
      await waitUntil("ledger-1 to own every partition again", () => survivor.owned().length === PARTITIONS, 20_000);
      const takenOverAt = Date.now();
      const events = await allGroupEvents(system.adminUrls, GROUP);
      const removal = events.find((e) => e.kind === "member-removed" && e.memberId === frozen.memberId);
      context.explain({
        en: `The broker's event (admin listener, /v1/events/history): member-removed — "${removal?.cause ?? "none"}".`,
        ko: `브로커 이벤트 (admin 리스너, /v1/events/history): member-removed — "${removal?.cause ?? "없음"}".`,
      });
      context.look("timeline", {
        en: "the removal and its cause on the rebalance timeline",
        ko: "리밸런스 타임라인에서 멤버 제거와 그 원인",
      });
      context.check(
        removal?.cause.startsWith("session timeout") === true,
        {
          en: "the coordinator removed the frozen member for its session timeout",
          ko: "코디네이터가 세션 타임아웃으로 멈춘 멤버를 내보냈다",
        },
        removal ? removal.cause : `events: ${events.map((e) => `${e.kind} ${e.cause}`).join("; ")}`,
      );
      context.check(
        removal !== undefined && removal.time >= silent.syncSentAt + SILENT_SESSION_TIMEOUT_MS,
        {
          en: "not before a whole session timeout had passed since its last request",
          ko: "마지막 요청 뒤로 세션 타임아웃이 다 지나기 전에는 내보내지 않았다",
        },
        removal ? `removed ${removal.time - silent.syncSentAt} ms after its SyncGroup` : "no removal",
      );
      context.explain({
        en: `Its partitions were unconsumed for ${takenOverAt - joinedAt} ms. A shorter session timeout notices sooner but risks removing a member that is merely slow to heartbeat.`,
        ko: `그 파티션들은 ${takenOverAt - joinedAt} ms 동안 소비되지 않았습니다. 세션 타임아웃을 줄이면 더 빨리 알아채지만, 하트비트가 잠깐 늦은 멤버까지 내보낼 위험이 있습니다.`,
      });

      context.step({
        en: "ledger-1 reads what waited on those partitions",
        ko: "ledger-1이 그 파티션에 쌓여 있던 레코드를 읽습니다",
      });
      const waiting = traffic.sentBetween(joinedAt, takenOverAt, frozen.partitions);
      await waitUntil("ledger-1 to handle every record that waited", () =>
        waiting.every((sent) =>
          group.handled.some(
            (h) => h.member === "ledger-1" && h.partition === sent.partition && h.offset === sent.offset,
          ),
        ),
      );
      context.check(
        waiting.length > 0,
        {
          en: `${waiting.length} records had waited on the frozen member's partitions, and ledger-1 handled them all`,
          ko: `멈춘 멤버의 파티션에 레코드 ${waiting.length}개가 기다리고 있었고, ledger-1이 모두 처리했다`,
        },
        `${waiting.length} waited`,
      );
    } finally {
      silent.close();
      await group.stopAll();
      await traffic.stop();
      await admin.disconnect().catch(() => undefined);
    }
  },
};
