// Scenario 16: the in-sync replicas. One partition on 3 brokers with min.insync.replicas=2: a
// follower is frozen (SIGSTOP) and, after replica.lag.time.max.ms without catching up, the leader
// drops it from the ISR; writes with acks=all go on with the two left. Then the leader is killed
// while the frozen follower is let go again: it is alive but out of the ISR, so the controller
// elects the one in-sync follower, and every record acknowledged with acks=all is read back.
import {
  activeController,
  clusterEvents,
  eventually,
  type HostedPartition,
  leaderReplica,
  replicasOf,
} from "../admin-views.ts";
import type { Scenario } from "../scenario.ts";
import { type Clients, pointsCommand, userIds, waitUntil, withClients } from "../toolkit.ts";

const TOPIC = "points.commands.isr";
const LAG_MS = 1_500;

export const isrAndElection: Scenario = {
  name: "isr-and-election",
  number: 16,
  title: {
    en: "ISR and leader election: acks=all loses nothing",
    ko: "ISR과 리더 선출: acks=all은 아무것도 잃지 않는다",
  },
  concept: {
    en: "The ISR (in-sync replicas) are the copies that keep up with the leader; a follower that falls behind for replica.lag.time.max.ms leaves it. With acks=all a write is acknowledged once every ISR member has it, and only an ISR member may become leader, so no acknowledged write is lost.",
    ko: "ISR(in-sync replicas)은 리더를 제때 따라오는 복제본들입니다. replica.lag.time.max.ms 동안 뒤처진 팔로워는 ISR에서 빠집니다. acks=all 쓰기는 ISR 전원이 받은 뒤에 확인되고, ISR에 있는 복제본만 리더가 될 수 있으므로 확인된 쓰기는 사라지지 않습니다.",
  },
  brokers: 3,
  // The ISR shrinks for lag (1.5 s) well before a silent broker is fenced (4 s), so what is shown is
  // the lag rule, and a killed leader is replaced within seconds.
  brokerConfigs: {
    "replica.lag.time.max.ms": String(LAG_MS),
    "broker.session.timeout.ms": "4000",
    "broker.heartbeat.interval.ms": "500",
  },
  async run({ step, explain, look, check, system }) {
    await withClients(system, async (clients) => {
      let controller: number | undefined;
      await waitUntil("an active controller", async () => (controller = await activeController(system)) !== undefined);
      // The leader and the follower to freeze are the two brokers that are not the active controller,
      // so neither fault is also a controller failover (scenario 17); the controller is the in-sync follower.
      const [leader, stalled] = [0, 1, 2].filter((id) => id !== controller) as [number, number];
      const inSync = controller!;

      step({
        en: `Create ${TOPIC}: one partition on brokers ${leader} (leader), ${stalled} and ${inSync}, min.insync.replicas=2`,
        ko: `${TOPIC} 토픽을 만듭니다. 파티션 하나를 브로커 ${leader}(리더), ${stalled}, ${inSync}에 두고 min.insync.replicas=2로 합니다`,
      });
      const admin = await clients.admin();
      await admin.createTopics({
        topics: [
          {
            topic: TOPIC,
            replicaAssignment: [{ partition: 0, replicas: [leader, stalled, inSync] }],
            configEntries: [{ name: "min.insync.replicas", value: "2" }],
          },
        ],
        waitForLeaders: true,
      });
      let replicas = new Map<number, HostedPartition>();
      const fullIsr = await eventually(async () => {
        replicas = await replicasOf(system, TOPIC, 0);
        return leaderReplica(replicas)?.broker === leader && replicas.get(leader)!.isr.length === 3;
      });
      check(
        fullIsr,
        {
          en: `broker ${leader} leads and all three copies are in the ISR`,
          ko: `브로커 ${leader}번이 리더이고 세 복제본 모두 ISR에 있습니다`,
        },
        `ISR [${replicas.get(leader)?.isr.join(", ")}]`,
      );

      const producer = await clients.producer();
      const users = userIds(10);
      const acknowledged: string[] = [];
      const send = async (round: number): Promise<void> => {
        const values = users.map((user) => JSON.stringify(pointsCommand(user, round)));
        await producer.send({
          topic: TOPIC,
          acks: -1,
          messages: values.map((value, i) => ({ key: users[i]!, value })),
        });
        acknowledged.push(...values);
      };
      step({ en: "Write 20 commands with acks=all", ko: "acks=all로 명령 20개를 씁니다" });
      await send(0);
      await send(1);
      explain({
        en: "Each send was acknowledged only after all three copies had it.",
        ko: "보낼 때마다 세 복제본이 모두 받은 뒤에야 확인 응답이 왔습니다.",
      });

      step({
        en: `Freeze broker ${stalled} (SIGSTOP) and write 20 more with acks=all`,
        ko: `브로커 ${stalled}번을 얼리고(SIGSTOP) acks=all로 20개를 더 씁니다`,
      });
      system.pauseBroker(stalled);
      const writing = Promise.all([send(2), send(3)]);
      explain({
        en: `The leader cannot acknowledge yet: broker ${stalled} is still in the ISR. After replica.lag.time.max.ms (${LAG_MS} ms here) without it catching up, the leader removes it from the ISR, and acks=all means the two left.`,
        ko: `리더는 아직 응답할 수 없습니다. 브로커 ${stalled}번이 아직 ISR에 있기 때문입니다. replica.lag.time.max.ms(여기서는 ${LAG_MS} ms) 동안 따라오지 못하면 리더가 그 브로커를 ISR에서 빼고, 그때부터 acks=all은 남은 둘을 뜻합니다.`,
      });
      const shrunk = await eventually(async () => {
        replicas = await replicasOf(system, TOPIC, 0, [leader]);
        const isr = replicas.get(leader)?.isr ?? [];
        return isr.length === 2 && !isr.includes(stalled);
      });
      check(
        shrunk,
        { en: `broker ${stalled} left the ISR`, ko: `브로커 ${stalled}번이 ISR에서 빠졌습니다` },
        `ISR [${replicas.get(leader)?.isr.join(", ")}]`,
      );
      const why = (await clusterEvents(system, inSync, "isr-shrank").catch(() => [])).findLast(
        (e) => e.topic === TOPIC,
      );
      if (why) explain({ en: `the cluster event says: ${why.cause}`, ko: `클러스터 이벤트의 이유: ${why.cause}` });
      await writing;
      const leaderView = (await replicasOf(system, TOPIC, 0, [leader])).get(leader)!;
      const stalledEnd = leaderView.followers?.find((f) => f.broker === stalled)?.logEndOffset ?? "?";
      check(
        acknowledged.length === 40 && BigInt(stalledEnd) < BigInt(leaderView.logEndOffset),
        {
          en: `all 40 acknowledged; broker ${stalled} has only the first ${stalledEnd}, so it must not lead`,
          ko: `40개 모두 확인 응답을 받았습니다. 브로커 ${stalled}번은 앞의 ${stalledEnd}개만 가지고 있으니 리더가 되어서는 안 됩니다`,
        },
        `leader LEO ${leaderView.logEndOffset}, HW ${leaderView.highWatermark}`,
      );
      look("cluster", {
        en: `○ marks broker ${stalled}'s copy, out of the ISR; the partition is under-replicated`,
        ko: `○가 ISR에서 빠진 브로커 ${stalled}번의 복제본입니다. 파티션이 복제 부족(under-replicated) 상태로 표시됩니다`,
      });

      step({
        en: `Kill the leader, broker ${leader} (kill -9), and let broker ${stalled} run again at once`,
        ko: `리더인 브로커 ${leader}번을 죽이고(kill -9), 곧바로 브로커 ${stalled}번을 다시 움직이게 합니다`,
      });
      await system.killBroker(leader);
      system.resumeBroker(stalled);
      explain({
        en: `Broker ${stalled} is alive again but out of the ISR, and it cannot catch up: the leader it fetches from is gone. When the controller notices that broker ${leader} is gone (broker.session.timeout.ms), it picks the new leader from the ISR only (unclean.leader.election.enable=false).`,
        ko: `브로커 ${stalled}번은 다시 살아났지만 ISR 밖에 있고, 가져올 리더가 사라져서 따라잡을 수도 없습니다. 컨트롤러는 브로커 ${leader}번이 사라진 것을 알아차리면(broker.session.timeout.ms) ISR 안에서만 새 리더를 고릅니다(unclean.leader.election.enable=false).`,
      });
      let newLeader: number | undefined;
      const elected = await eventually(async () => {
        const metadata = await admin.fetchTopicMetadata({ topics: [TOPIC] });
        newLeader = metadata.topics[0]?.partitions[0]?.leader;
        return newLeader !== undefined && newLeader >= 0 && newLeader !== leader;
      }, 30_000);
      check(
        elected && newLeader === inSync,
        {
          en: `the new leader is broker ${inSync}, the one in-sync follower — not broker ${stalled}, which is alive but was out of the ISR`,
          ko: `새 리더는 ISR에 남아 있던 팔로워인 브로커 ${inSync}번입니다. 살아 있지만 ISR 밖이던 브로커 ${stalled}번은 리더가 되지 않습니다`,
        },
        `leader now: ${newLeader}`,
      );

      step({ en: "Read the partition back from the new leader", ko: "새 리더에게서 파티션을 처음부터 다시 읽습니다" });
      const stored = await readAll(clients, TOPIC, acknowledged.length);
      const missing = acknowledged.filter((value) => !stored.has(value));
      check(
        missing.length === 0,
        {
          en: `every one of the ${acknowledged.length} records acknowledged with acks=all is there`,
          ko: `acks=all로 확인 응답을 받은 레코드 ${acknowledged.length}개가 하나도 빠짐없이 있습니다`,
        },
        `read back ${stored.size} distinct, missing ${missing.length}`,
      );

      step({
        en: `Broker ${stalled} fetches from the new leader and rejoins the ISR`,
        ko: `브로커 ${stalled}번이 새 리더에게서 가져와 ISR에 다시 들어갑니다`,
      });
      const rejoined = await eventually(async () => {
        replicas = await replicasOf(system, TOPIC, 0);
        return replicas.get(inSync)?.isr.includes(stalled) === true;
      }, 30_000);
      check(
        rejoined,
        {
          en: `broker ${stalled} caught up and is in the ISR again`,
          ko: `브로커 ${stalled}번이 따라잡아 다시 ISR에 들어왔습니다`,
        },
        `ISR [${replicas.get(inSync)?.isr.join(", ")}]`,
      );
    });
  },
};

/** The values of `topic` partition 0 from its start, read until `count` distinct ones or 10 s passed. */
async function readAll(clients: Clients, topic: string, count: number): Promise<Set<string>> {
  const values = new Set<string>();
  const consumer = await clients.consumer({ groupId: "", maxWaitTimeInMs: 100 });
  consumer.assign([{ topic, partitions: [0], fromBeginning: true }]);
  await consumer.run({
    eachMessage: async ({ message }) => {
      values.add(message.value?.toString() ?? "");
    },
  });
  await eventually(() => values.size >= count, 10_000);
  await consumer.stop();
  return values;
}
