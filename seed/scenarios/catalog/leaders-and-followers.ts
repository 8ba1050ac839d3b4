// Scenario 15: replication. On 3 brokers, points.commands gets replication factor 3: every broker
// holds a copy of every partition, one copy leads (takes the writes), the others follow (fetch from
// it). What each broker says about its own copy comes from its admin listener: its role, its log end
// offset and the high watermark. A follower is then paused, falls behind and catches up.

import { activeController, eventually, type HostedPartition, leaderReplica, replicasOf } from "../admin-views.ts";
import type { Scenario } from "../scenario.ts";
import { COMMANDS_TOPIC, pointsCommand, userIds, waitUntil, withClients } from "../toolkit.ts";

const PARTITIONS = 3;
const REPLICAS = 3;

const offsets = (replica: HostedPartition): string => `LEO ${replica.logEndOffset}, HW ${replica.highWatermark}`;

export const leadersAndFollowers: Scenario = {
  name: "leaders-and-followers",
  number: 15,
  title: { en: "Leaders and followers: replication factor 3", ko: "리더와 팔로워: 복제 팩터 3" },
  concept: {
    en: "Each partition is copied to several brokers (its replication factor). One copy, the leader, takes every write; the followers fetch from it and catch up, so another broker can take over when the leader is lost.",
    ko: "파티션마다 여러 브로커에 복제본이 있습니다(복제 팩터). 그중 리더 하나가 모든 쓰기를 받고, 팔로워는 리더에게서 가져와(fetch) 따라잡습니다. 그래서 리더를 잃어도 다른 브로커가 이어받을 수 있습니다.",
  },
  brokers: 3,
  // A paused follower stays in the ISR for the whole short pause (Kafka's default lag limit, 30 s),
  // so the high watermark visibly waits for it; scenario 16 shows it leaving the ISR.
  brokerConfigs: { "replica.lag.time.max.ms": "30000" },
  async run({ step, explain, look, check, system }) {
    await withClients(system, async (clients) => {
      step({
        en: `Create ${COMMANDS_TOPIC} with ${PARTITIONS} partitions and replication factor ${REPLICAS}`,
        ko: `${COMMANDS_TOPIC} 토픽을 파티션 ${PARTITIONS}개, 복제 팩터 ${REPLICAS}으로 만듭니다`,
      });
      const admin = await clients.admin();
      await admin.createTopics({
        topics: [{ topic: COMMANDS_TOPIC, numPartitions: PARTITIONS, replicationFactor: REPLICAS }],
        waitForLeaders: true,
      });
      explain({
        en: "The controller places the copies: each partition on all three brokers, its first replica the preferred leader, the leaders spread over the brokers.",
        ko: "컨트롤러가 복제본을 배치합니다. 파티션마다 세 브로커 모두에 복제본을 두고, 첫 번째 복제본을 선호 리더로 삼아 리더를 브로커들에 고르게 나눕니다.",
      });

      step({
        en: "Ask every broker's admin listener which copies it holds and in what role",
        ko: "브로커마다 관리용 리스너(/v1/partitions)에 어떤 복제본을 어떤 역할로 가지고 있는지 물어봅니다",
      });
      const metadata = await admin.fetchTopicMetadata({ topics: [COMMANDS_TOPIC] });
      const leaders: number[] = [];
      for (let partition = 0; partition < PARTITIONS; partition++) {
        let replicas = new Map<number, HostedPartition>();
        await waitUntil(`a copy of partition ${partition} on every broker`, async () => {
          replicas = await replicasOf(system, COMMANDS_TOPIC, partition);
          return replicas.size === REPLICAS;
        });
        const leader = leaderReplica(replicas);
        const sayLeader = [...replicas.values()].filter((r) => r.role === "leader").length;
        const followers = [...replicas.keys()].filter((id) => id !== leader?.broker);
        explain({
          en: `partition ${partition}: leader broker ${leader?.broker}, followers ${followers.join(" and ")}; ISR [${leader?.replica.isr.join(", ")}]`,
          ko: `파티션 ${partition}: 리더는 브로커 ${leader?.broker}, 팔로워는 ${followers.join(", ")}; ISR [${leader?.replica.isr.join(", ")}]`,
        });
        const clientsSee = metadata.topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
        check(
          leader !== undefined &&
            sayLeader === 1 &&
            [...replicas.values()].every((r) => r.leader === leader.broker) &&
            clientsSee === leader.broker,
          {
            en: `partition ${partition} has exactly one leader, which every copy and the clients' metadata name`,
            ko: `파티션 ${partition}의 리더는 정확히 하나이고, 모든 복제본과 클라이언트의 메타데이터가 같은 리더를 가리킵니다`,
          },
          `brokers saying leader: ${sayLeader}; metadata says ${clientsSee}`,
        );
        leaders.push(leader!.broker);
      }
      check(
        new Set(leaders).size === REPLICAS,
        {
          en: "each broker leads one partition: the write load is spread",
          ko: "브로커마다 파티션 하나씩 리더를 맡아 쓰기 부하가 나뉩니다",
        },
        `leaders by partition: ${leaders.join(", ")}`,
      );
      look("cluster", {
        en: "the grid: ★ marks the leader of each partition, ● the followers in the ISR",
        ko: "격자에서 ★는 파티션의 리더, ●는 ISR에 있는 팔로워입니다",
      });

      step({
        en: "Produce 30 points commands (10 users) with acks=all, then watch the followers catch up",
        ko: "사용자 10명의 포인트 명령 30개를 acks=all로 보내고, 팔로워가 따라잡는 것을 봅니다",
      });
      const producer = await clients.producer();
      const users = userIds(10);
      const results = await producer.send({
        topic: COMMANDS_TOPIC,
        acks: -1,
        messages: [0, 1, 2].flatMap((n) =>
          users.map((user) => ({ key: user, value: JSON.stringify(pointsCommand(user, n)) })),
        ),
      });
      const ends = new Map((await admin.fetchTopicOffsets(COMMANDS_TOPIC)).map((o) => [o.partition, o.high]));
      check(
        results.every((r) => r.errorCode === 0) &&
          [...ends.values()].reduce((sum, high) => sum + Number(high), 0) === 30,
        { en: "all 30 acknowledged by the leaders", ko: "30개 모두 리더가 확인 응답(ack)했습니다" },
        `log ends by partition: ${[...ends].map(([p, high]) => `${p}: ${high}`).join(", ")}`,
      );
      explain({
        en: "With acks=all the leader answers only once every in-sync follower has the records: the high watermark (HW) has passed them, and only records below the HW are given to consumers.",
        ko: "acks=all이면 리더는 ISR의 모든 팔로워가 레코드를 받은 뒤에야 응답합니다. 그때 하이 워터마크(HW)가 그 레코드를 넘어서고, 컨슈머는 HW 아래의 레코드만 읽을 수 있습니다.",
      });
      for (let partition = 0; partition < PARTITIONS; partition++) {
        let replicas = new Map<number, HostedPartition>();
        const end = ends.get(partition) ?? "0";
        const settled = await eventually(async () => {
          replicas = await replicasOf(system, COMMANDS_TOPIC, partition);
          return (
            replicas.size === REPLICAS &&
            [...replicas.values()].every((r) => r.logEndOffset === end && r.highWatermark === end)
          );
        });
        explain({
          en: `partition ${partition}: ${[...replicas].map(([id, r]) => `broker ${id} (${r.role}) ${offsets(r)}`).join("; ")}`,
          ko: `파티션 ${partition}: ${[...replicas].map(([id, r]) => `브로커 ${id}(${r.role === "leader" ? "리더" : "팔로워"}) ${offsets(r)}`).join("; ")}`,
        });
        check(settled, {
          en: `partition ${partition}: all three copies hold its ${end} records, and the HW is at the end`,
          ko: `파티션 ${partition}: 세 복제본 모두 레코드 ${end}개를 가지고 있고 HW가 끝에 있습니다`,
        });
      }

      step({
        en: "Pause a follower of partition 0 (SIGSTOP) and write to partition 0 with acks=1",
        ko: "파티션 0의 팔로워 하나를 멈추고(SIGSTOP) acks=1로 파티션 0에 씁니다",
      });
      const leader0 = leaders[0]!;
      const controller = await activeController(system);
      // Not the active controller: pausing that would start a controller election, another story (17).
      const follower =
        [0, 1, 2].find((id) => id !== leader0 && id !== controller) ?? [0, 1, 2].find((id) => id !== leader0)!;
      system.pauseBroker(follower);
      try {
        await producer.send({
          topic: COMMANDS_TOPIC,
          acks: 1,
          messages: users.map((user) => ({ key: user, value: JSON.stringify(pointsCommand(user, 9)), partition: 0 })),
        });
        explain({
          en: `acks=1: the leader (broker ${leader0}) answers as soon as it has written the records itself; broker ${follower} is frozen and fetches nothing.`,
          ko: `acks=1이면 리더(브로커 ${leader0})는 자기 로그에 쓰자마자 응답합니다. 브로커 ${follower}번은 멈춰 있어 아무것도 가져가지 못합니다.`,
        });
        const seen = (await replicasOf(system, COMMANDS_TOPIC, 0, [leader0])).get(leader0)!;
        const behind = seen.followers?.find((f) => f.broker === follower);
        explain({
          en: `the leader's view: its ${offsets(seen)}; broker ${follower} has fetched up to ${behind?.logEndOffset}`,
          ko: `리더가 보는 상태: 리더 ${offsets(seen)}; 브로커 ${follower}번은 ${behind?.logEndOffset}까지만 가져갔습니다`,
        });
        check(
          behind !== undefined && BigInt(behind.logEndOffset) < BigInt(seen.logEndOffset),
          {
            en: `the paused follower (broker ${follower}) is behind the leader`,
            ko: `멈춘 팔로워(브로커 ${follower})가 리더보다 뒤처져 있습니다`,
          },
          `leader LEO ${seen.logEndOffset}, follower LEO ${behind?.logEndOffset}`,
        );
        check(
          seen.isr.includes(follower) && BigInt(seen.highWatermark) <= BigInt(behind!.logEndOffset),
          {
            en: "the HW waits for it: a follower still in the ISR holds the high watermark back, so consumers do not see records yet that only the leader has",
            ko: "HW가 그 팔로워를 기다립니다. ISR에 남아 있는 팔로워가 하이 워터마크를 붙잡고 있어서, 리더만 가진 레코드는 아직 컨슈머에게 보이지 않습니다",
          },
          `ISR [${seen.isr.join(", ")}], HW ${seen.highWatermark}, LEO ${seen.logEndOffset}`,
        );
      } finally {
        system.resumeBroker(follower);
      }

      step({
        en: `Resume broker ${follower} and watch it catch up`,
        ko: `브로커 ${follower}번을 다시 움직이게 하고 따라잡는 것을 봅니다`,
      });
      let caughtUp = new Map<number, HostedPartition>();
      const followerCaughtUp = await eventually(async () => {
        caughtUp = await replicasOf(system, COMMANDS_TOPIC, 0);
        const leader = caughtUp.get(leader0);
        return (
          leader !== undefined &&
          caughtUp.size === REPLICAS &&
          [...caughtUp.values()].every(
            (r) => r.logEndOffset === leader.logEndOffset && r.highWatermark === leader.logEndOffset,
          )
        );
      });
      explain({
        en: `partition 0 now: ${[...caughtUp].map(([id, r]) => `broker ${id} ${offsets(r)}`).join("; ")}`,
        ko: `지금 파티션 0: ${[...caughtUp].map(([id, r]) => `브로커 ${id} ${offsets(r)}`).join("; ")}`,
      });
      check(followerCaughtUp, {
        en: `broker ${follower} fetched what it missed: its log end equals the leader's, the HW moved to the end, and the followers learned it from their next fetch`,
        ko: `브로커 ${follower}번이 놓친 레코드를 가져와 로그 끝이 리더와 같아졌고, HW가 끝으로 움직였으며, 팔로워들도 다음 fetch 응답에서 그 HW를 전달받았습니다`,
      });
      look("cluster", {
        en: "each replica's log end offset against the high watermark: a follower visibly catching up",
        ko: "복제본마다 로그 끝 오프셋과 하이 워터마크를 보여 줍니다. 팔로워가 따라잡는 모습이 보입니다",
      });
    });
  },
};
