// Scenario 2: key routing. Commands of a dozen users are produced one send at a time through the
// producer's partitioner; every partition is then read back to see where each user's commands
// actually landed, compared with murmur2(key) % partitions as the default partitioner computes it.
// `keyRoutingWith` takes the partitioner as a part, so a test can hand it a broken one.
import { PartitionReader } from "../../../apps/console/partition-reader.ts";
import { Partitioners } from "../../../broker/client/index.ts";
import { murmur2 } from "../../../broker/client/producer/partitioners.ts";
import type { ICustomPartitioner } from "../../../broker/client/producer/types.ts";
import type { Scenario } from "../scenario.ts";
import { COMMANDS_TOPIC, pointsCommand, userIds, withClients } from "../toolkit.ts";

const PARTITIONS = 6;
// Not a multiple of PARTITIONS: a partitioner that ignored keys and dealt messages out in turn would
// then put one user's commands on different partitions, round after round.
const USERS = 10;
const COMMANDS_PER_USER = 4;

/** The partition the default partitioner picks for `key` among `partitions`. */
function defaultPartitionOf(key: string, partitions: number): number {
  const choose = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
    offlineReplicas: [],
  }));
  return choose({ topic: COMMANDS_TOPIC, partitionMetadata, message: { key, value: null } });
}

export function keyRoutingWith(partitioner: ICustomPartitioner): Scenario {
  return {
    name: "key-routing",
    number: 2,
    title: { en: "The same key, the same partition", ko: "같은 키는 같은 파티션으로" },
    concept: {
      en: "The producer picks a record's partition from its key: murmur2(key) % partitions. So every command of one user (keyed by userId) lands on one partition, and different users spread over all of them.",
      ko: "프로듀서는 레코드의 키로 파티션을 고릅니다: murmur2(키) % 파티션 수. 그래서 userId를 키로 쓰는 한 사용자의 명령은 모두 한 파티션에 모이고, 여러 사용자는 파티션 전체에 고르게 퍼집니다.",
    },
    brokers: 1,
    async run(context) {
      const { system } = context;
      const users = userIds(USERS);
      await withClients(system, async (clients) => {
        context.step({
          en: `Create ${COMMANDS_TOPIC} with ${PARTITIONS} partitions; ${USERS} users send ${COMMANDS_PER_USER} commands each, one send at a time, keyed by userId`,
          ko: `${COMMANDS_TOPIC} 토픽을 파티션 ${PARTITIONS}개로 만들고, 사용자 ${USERS}명이 userId를 키로 명령을 ${COMMANDS_PER_USER}개씩 하나하나 따로 보냅니다`,
        });
        await clients.createTopic(COMMANDS_TOPIC, PARTITIONS);
        const producer = await clients.producer({ createPartitioner: partitioner });
        for (let n = 1; n <= COMMANDS_PER_USER; n++)
          for (const userId of users)
            await producer.send({
              topic: COMMANDS_TOPIC,
              acks: -1,
              messages: [{ key: userId, value: JSON.stringify(pointsCommand(userId, n)) }],
            });
        context.look("topics", {
          en: "the key calculator there shows the partition of any userId",
          ko: "토픽 화면의 키 계산기로 아무 userId의 파티션을 확인할 수 있습니다",
        });
      });

      context.step({
        en: "Read every partition back and note where each user's commands landed",
        ko: "모든 파티션을 다시 읽어 사용자별 명령이 어디에 저장되었는지 확인합니다",
      });
      const landed = new Map<string, Set<number>>(users.map((u) => [u, new Set<number>()]));
      const reader = new PartitionReader(system.bootstrap, "key-routing");
      try {
        for (let partition = 0; partition < PARTITIONS; partition++) {
          const records = await reader.read(COMMANDS_TOPIC, partition, 0n, USERS * COMMANDS_PER_USER);
          for (const record of records) if (record.key !== null) landed.get(record.key)?.add(partition);
        }
      } finally {
        reader.disconnect();
      }
      for (const userId of users.slice(0, 4)) {
        const hash = murmur2(Buffer.from(userId)) & 0x7fffffff;
        context.explain({
          en: `${userId}: murmur2 = ${hash}, ${hash} % ${PARTITIONS} = ${hash % PARTITIONS}; landed on partition(s) ${[...landed.get(userId)!].join(", ")}`,
          ko: `${userId}: murmur2 = ${hash}, ${hash} % ${PARTITIONS} = ${hash % PARTITIONS}; 저장된 파티션 ${[...landed.get(userId)!].join(", ")}`,
        });
      }
      const scattered = users.filter((u) => landed.get(u)!.size !== 1);
      context.check(
        scattered.length === 0,
        {
          en: "every user's commands landed on one partition",
          ko: "사용자마다 명령이 모두 한 파티션에 저장되었습니다",
        },
        scattered.length === 0
          ? undefined
          : scattered.map((u) => `${u} on ${[...landed.get(u)!].join("+")}`).join(", "),
      );
      const misplaced = users.filter((u) => [...landed.get(u)!][0] !== defaultPartitionOf(u, PARTITIONS));
      context.check(
        misplaced.length === 0,
        {
          en: "each one is the partition murmur2(userId) % partitions names",
          ko: "그 파티션은 murmur2(userId) % 파티션 수가 가리키는 파티션입니다",
        },
        misplaced.length === 0 ? undefined : misplaced.join(", "),
      );
      const used = new Set(users.map((u) => [...landed.get(u)!][0]));
      context.check(
        used.size >= PARTITIONS / 2,
        {
          en: `the ${USERS} users spread over the partitions`,
          ko: `사용자 ${USERS}명이 여러 파티션에 퍼졌습니다`,
        },
        `${used.size} of ${PARTITIONS} partitions used`,
      );
      context.explain({
        en: "Because the partition depends on the key and the partition count only, any producer (ours, kafkajs, Java) puts a user in the same place — until the partition count changes (scenario 13).",
        ko: "파티션은 키와 파티션 수로만 정해지므로 어떤 프로듀서(우리 클라이언트, kafkajs, 자바)든 같은 사용자를 같은 곳에 넣습니다 — 파티션 수가 바뀌기 전까지는요(시나리오 13).",
      });
    },
  };
}

export const keyRouting: Scenario = keyRoutingWith(Partitioners.DefaultPartitioner);
