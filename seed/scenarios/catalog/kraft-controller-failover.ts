// Scenario 17: no ZooKeeper. The cluster's metadata is a log (__cluster_metadata) that the controller
// quorum — the first three brokers, its voters — replicates with Raft; one voter, the Raft leader, is
// the active controller. It is killed: the two left elect a new one in a new epoch, which fences the
// dead broker and goes on changing the metadata (a topic is created). The old controller comes back
// as a follower voter.
import { adminGet, askEveryBroker, type BrokerInfo, eventually, type QuorumInfo } from "../admin-views.ts";
import type { Scenario } from "../scenario.ts";
import { waitUntil, withClients } from "../toolkit.ts";

const TOPIC = "points.after-failover";

export const kraftControllerFailover: Scenario = {
  name: "kraft-controller-failover",
  number: 17,
  title: {
    en: "No ZooKeeper: the KRaft quorum elects a new controller",
    ko: "주키퍼 없이: KRaft 쿼럼이 새 컨트롤러를 뽑는다",
  },
  concept: {
    en: "In KRaft mode the cluster's metadata (topics, partitions, leaders, brokers) is a log that a quorum of controller voters replicates with Raft; its leader is the active controller. When it dies, the other voters elect a new one and metadata changes go on.",
    ko: "KRaft 모드에서는 클러스터 메타데이터(토픽, 파티션, 리더, 브로커)가 하나의 로그이고, 컨트롤러 보터(voter)들의 쿼럼이 Raft로 복제합니다. 그 리더가 활성 컨트롤러입니다. 활성 컨트롤러가 죽으면 남은 보터들이 새 컨트롤러를 뽑고 메타데이터 변경은 계속됩니다.",
  },
  brokers: 3,
  // A dead broker is fenced after 3 s without a heartbeat rather than 9 s.
  brokerConfigs: { "broker.session.timeout.ms": "3000", "broker.heartbeat.interval.ms": "500" },
  async run({ step, explain, look, check, system }) {
    step({
      en: "Ask every broker about the controller quorum (/v1/quorum, DescribeQuorum's view)",
      ko: "브로커마다 컨트롤러 쿼럼 상태를 물어봅니다(/v1/quorum, DescribeQuorum과 같은 정보)",
    });
    let quorums = new Map<number, QuorumInfo>();
    let infos = new Map<number, BrokerInfo>();
    await waitUntil("every broker to know the quorum's leader", async () => {
      quorums = await askEveryBroker<QuorumInfo>(system, "/v1/quorum");
      infos = await askEveryBroker<BrokerInfo>(system, "/v1/broker");
      const leaders = new Set([...quorums.values()].map((q) => q.leaderId));
      return quorums.size === 3 && leaders.size === 1 && !leaders.has(null) && infos.size === 3;
    });
    const first = quorums.get(0)!;
    const controller = first.leaderId!;
    const actives = [...infos.values()].filter((i) => i.activeController).map((i) => i.nodeId);
    explain({
      en: `voters: ${first.voters.map((v) => v.id).join(", ")}; leader (active controller): broker ${controller}, epoch ${first.leaderEpoch}; metadata log high watermark ${first.highWatermark}`,
      ko: `보터: ${first.voters.map((v) => v.id).join(", ")}; 리더(활성 컨트롤러): 브로커 ${controller}, 에포크 ${first.leaderEpoch}; 메타데이터 로그 하이 워터마크 ${first.highWatermark}`,
    });
    check(
      actives.length === 1 && actives[0] === controller,
      {
        en: `all three agree on one active controller, broker ${controller}, and only it says it is`,
        ko: `세 브로커 모두 활성 컨트롤러가 브로커 ${controller} 하나라고 말하고, 자신이 컨트롤러라고 하는 것도 그 브로커뿐입니다`,
      },
      `brokers saying active: ${actives.join(", ")}`,
    );
    explain({
      en: "No ZooKeeper anywhere: the brokers themselves hold the metadata log; every broker replays it to learn the cluster.",
      ko: "주키퍼는 어디에도 없습니다. 브로커들이 메타데이터 로그를 직접 가지고 있고, 모든 브로커가 그 로그를 재생해 클러스터 상태를 압니다.",
    });
    look("cluster", { en: "the active controller and the voters' lag", ko: "활성 컨트롤러와 보터들의 지연(lag)" });

    step({
      en: `Kill the active controller, broker ${controller} (kill -9)`,
      ko: `활성 컨트롤러인 브로커 ${controller}번을 죽입니다(kill -9)`,
    });
    await system.killBroker(controller);
    const survivors = [0, 1, 2].filter((id) => id !== controller);
    explain({
      en: "The other voters stop hearing from the leader; after controller.quorum.election.timeout.ms one of them asks for votes in a new epoch, and a majority (2 of 3) elects it.",
      ko: "남은 보터들은 리더의 소식이 끊긴 것을 알고, controller.quorum.election.timeout.ms가 지나면 그중 하나가 새 에포크로 투표를 요청합니다. 과반(3표 중 2표)을 얻으면 새 리더가 됩니다.",
    });
    let after = new Map<number, QuorumInfo>();
    let newController: number | null = null;
    const elected = await eventually(async () => {
      after = await askEveryBroker<QuorumInfo>(system, "/v1/quorum", survivors);
      const leaders = new Set([...after.values()].map((q) => q.leaderId));
      newController = [...leaders][0] ?? null;
      if (after.size !== 2 || leaders.size !== 1 || newController === null || newController === controller)
        return false;
      return (await adminGet<BrokerInfo>(system.adminUrls[newController]!, "/v1/broker")).activeController;
    }, 30_000);
    const epoch = after.get(survivors[0]!)?.leaderEpoch ?? -1;
    check(
      elected && epoch > first.leaderEpoch,
      {
        en: `the survivors elected broker ${newController} as active controller, in a newer epoch`,
        ko: `남은 브로커들이 더 높은 에포크에서 브로커 ${newController}번을 활성 컨트롤러로 뽑았습니다`,
      },
      `epoch ${first.leaderEpoch} → ${epoch}`,
    );

    step({
      en: `The new controller fences broker ${controller}: no heartbeat for broker.session.timeout.ms`,
      ko: `새 컨트롤러가 브로커 ${controller}번을 펜싱합니다. broker.session.timeout.ms 동안 하트비트가 없었기 때문입니다`,
    });
    const fenced = await eventually(async () => {
      const quorum = await adminGet<QuorumInfo>(system.adminUrls[newController!]!, "/v1/quorum");
      return quorum.brokers.find((b) => b.id === controller)?.fenced === true;
    }, 30_000);
    check(fenced, {
      en: `broker ${controller} is fenced: it leads nothing and new partitions are not placed on it`,
      ko: `브로커 ${controller}번이 펜싱되었습니다. 아무 파티션도 이끌지 않고, 새 파티션도 배치되지 않습니다`,
    });

    await withClients(system, async (clients) => {
      step({
        en: `Change the metadata: create ${TOPIC} (3 partitions, replication factor 2) and write to it`,
        ko: `메타데이터를 바꿔 봅니다. ${TOPIC} 토픽(파티션 3개, 복제 팩터 2)을 만들고 씁니다`,
      });
      const admin = await clients.admin();
      await admin.createTopics({
        topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 2 }],
        waitForLeaders: true,
      });
      const metadata = await admin.fetchTopicMetadata({ topics: [TOPIC] });
      const partitions = metadata.topics[0]?.partitions ?? [];
      explain({
        en: partitions
          .map((p) => `partition ${p.partitionId}: leader ${p.leader}, replicas [${p.replicas.join(", ")}]`)
          .join("; "),
        ko: partitions
          .map((p) => `파티션 ${p.partitionId}: 리더 ${p.leader}, 복제본 [${p.replicas.join(", ")}]`)
          .join("; "),
      });
      const quorumNow = await adminGet<QuorumInfo>(system.adminUrls[newController!]!, "/v1/quorum");
      explain({
        en: `the new controller wrote the topic to the metadata log: its high watermark went from ${first.highWatermark} to ${quorumNow.highWatermark}`,
        ko: `새 컨트롤러가 토픽을 메타데이터 로그에 기록했습니다. 로그의 하이 워터마크가 늘었습니다(${first.highWatermark} → ${quorumNow.highWatermark})`,
      });
      const producer = await clients.producer();
      const [written] = await producer.send({
        topic: TOPIC,
        acks: -1,
        messages: [{ key: "user-0001", value: "after the failover" }],
      });
      check(
        partitions.length === 3 &&
          partitions.every((p) => survivors.includes(p.leader) && !p.replicas.includes(controller)) &&
          written?.errorCode === 0,
        {
          en: "the topic exists with its partitions led by live brokers, and a write to it is acknowledged",
          ko: "토픽이 만들어졌고 파티션 리더는 모두 살아 있는 브로커이며, 쓰기도 확인 응답을 받았습니다",
        },
        `written at partition ${written?.partition}, offset ${written?.baseOffset}`,
      );
    });

    step({ en: `Restart broker ${controller}`, ko: `브로커 ${controller}번을 다시 시작합니다` });
    await system.restartBroker(controller);
    let back: QuorumInfo | undefined;
    let backInfo: BrokerInfo | undefined;
    const follows = await eventually(async () => {
      back = await adminGet<QuorumInfo>(system.adminUrls[controller]!, "/v1/quorum");
      backInfo = await adminGet<BrokerInfo>(system.adminUrls[controller]!, "/v1/broker");
      return back.leaderId === newController && !backInfo.activeController;
    }, 30_000);
    check(
      follows,
      {
        en: `broker ${controller} came back as a follower voter: it accepts broker ${newController} as the leader and replays the metadata it missed`,
        ko: `브로커 ${controller}번은 팔로워 보터로 돌아왔습니다. 브로커 ${newController}번을 리더로 받아들이고 놓친 메타데이터를 재생합니다`,
      },
      `it sees leader ${back?.leaderId} in epoch ${back?.leaderEpoch}`,
    );
  },
};
