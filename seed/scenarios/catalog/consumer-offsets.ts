// Scenario 12: a group's committed offsets are records of the internal topic __consumer_offsets,
// keyed by (group, topic, partition), and the group's coordinator is the broker that leads the
// partition of that topic the group id hashes to: abs(groupId.hashCode()) % 50. Shown on a
// three-broker cluster, where those leaders differ: FindCoordinator's answer is compared with the
// leader computed here, and the committed offsets are read back raw from that partition and decoded.
import { createLogger, logLevel } from "../../../broker/client/logger.ts";
import { BrokerConnection } from "../../../broker/client/network/broker-connection.ts";
import { Apis } from "../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import {
  CONSUMER_OFFSETS_TOPIC,
  decodeOffsetCommitValue,
  decodeOffsetsRecordKey,
} from "../../../broker/server/groups/offsets-record-format.ts";
import type { Scenario } from "../scenario.ts";
import { kafkaOn, waitUntil } from "../toolkit.ts";
import { userId } from "../watched-group.ts";

const TOPIC = "points.commands";
const PARTITIONS = 3;
const COMMANDS = 30;
/** offsets.topic.num.partitions, Kafka's default. */
const OFFSETS_PARTITIONS = 50;
const GROUPS = ["ledger", "notification", "analytics"];

/** Java's String.hashCode: s[0]*31^(n-1) + … + s[n-1], over UTF-16 code units, wrapping at 32 bits. */
function javaHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i += 1) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash;
}

/** Kafka's Utils.abs(hashCode) % partitions (Utils.abs maps Integer.MIN_VALUE to 0). */
function offsetsPartitionOf(groupId: string, partitions = OFFSETS_PARTITIONS): number {
  const hash = javaHashCode(groupId);
  return (hash === -2147483648 ? 0 : Math.abs(hash)) % partitions;
}

/** FindCoordinator, asked of one broker directly: the node id it names for `groupId`. */
async function findCoordinator(address: string, groupId: string): Promise<number> {
  const [host, port] = address.split(":");
  const connection = new BrokerConnection({
    host: host!,
    port: Number(port),
    clientId: "scenario-find-coordinator",
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    logger: createLogger(logLevel.NOTHING),
  });
  try {
    const response = await connection.request(Apis.FindCoordinator, {
      key: groupId,
      keyType: 0,
      coordinatorKeys: [groupId],
    });
    const answer = response.coordinators?.[0] ?? response;
    if (answer.errorCode !== ErrorCode.NONE) throw new Error(`FindCoordinator: error code ${answer.errorCode}`);
    return answer.nodeId;
  } finally {
    connection.disconnect();
  }
}

interface DecodedCommit {
  offset: number;
  group: string;
  topic: string;
  partition: number;
  committed: bigint;
  at: bigint;
}

export const consumerOffsets: Scenario = {
  name: "consumer-offsets",
  number: 12,
  title: { en: "__consumer_offsets: commits are records", ko: "__consumer_offsets: 커밋도 레코드다" },
  concept: {
    en: "Committing an offset appends a record to the internal topic __consumer_offsets, keyed by group, topic and partition; the group's coordinator is the leader of partition abs(hash(groupId)) % 50 of that topic.",
    ko: "오프셋을 커밋하면 내부 토픽 __consumer_offsets에 (그룹, 토픽, 파티션)을 키로 하는 레코드가 추가됩니다. 그룹 코디네이터는 그 토픽의 abs(hash(groupId)) % 50번 파티션의 리더입니다.",
  },
  brokers: 3,
  async run(context) {
    const { system } = context;
    const kafka = kafkaOn(system, "scenario");
    const admin = kafka.admin();
    const producer = kafka.producer();
    const ledger = kafka.consumer({ groupId: "ledger", heartbeatInterval: 300, maxWaitTimeInMs: 100 });
    const reader = kafka.consumer({ groupId: "", maxWaitTimeInMs: 100 });
    try {
      context.step({
        en: `Create ${TOPIC} (${PARTITIONS} partitions) and produce ${COMMANDS} points commands`,
        ko: `${TOPIC} 토픽(파티션 ${PARTITIONS}개)을 만들고 포인트 커맨드 ${COMMANDS}개를 보냅니다`,
      });
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
      await producer.connect();
      await producer.send({
        topic: TOPIC,
        messages: Array.from({ length: COMMANDS }, (_, n) => {
          const key = userId((n % 10) + 1);
          return { key, value: JSON.stringify({ type: "charge", userId: key, amount: 100, storeId: "store-1" }) };
        }),
      });

      context.step({
        en: "Which broker coordinates each group? Compute it, then ask the cluster (FindCoordinator)",
        ko: "각 그룹의 코디네이터는 어느 브로커일까요? 직접 계산한 뒤 클러스터에 물어봅니다 (FindCoordinator)",
      });
      const coordinators = new Map<string, number>();
      for (const group of GROUPS) {
        await waitUntil(`a coordinator for ${group}`, async () => {
          coordinators.set(group, await findCoordinator(system.bootstrap[0]!, group));
          return true;
        });
      }
      const metadata = await admin.fetchTopicMetadata({ topics: [CONSUMER_OFFSETS_TOPIC] });
      const leaders = new Map(
        (metadata.topics[0]?.partitions ?? []).map((p) => [p.partitionId, p.leader] as [number, number]),
      );
      for (const group of GROUPS) {
        const partition = offsetsPartitionOf(group);
        const hash = javaHashCode(group);
        context.explain({
          en: `"${group}".hashCode() = ${hash} → abs % ${OFFSETS_PARTITIONS} = partition ${partition}, led by broker ${leaders.get(partition)}; FindCoordinator says broker ${coordinators.get(group)}.`,
          ko: `"${group}".hashCode() = ${hash} → abs % ${OFFSETS_PARTITIONS} = ${partition}번 파티션, 리더는 브로커 ${leaders.get(partition)}. FindCoordinator의 답은 브로커 ${coordinators.get(group)}.`,
        });
      }
      context.check(
        leaders.size === OFFSETS_PARTITIONS &&
          GROUPS.every((group) => coordinators.get(group) === leaders.get(offsetsPartitionOf(group))),
        {
          en: "every group's coordinator is the leader of its __consumer_offsets partition",
          ko: "모든 그룹의 코디네이터가 자기 __consumer_offsets 파티션의 리더다",
        },
        GROUPS.map(
          (g) =>
            `${g}: p${offsetsPartitionOf(g)} leader ${leaders.get(offsetsPartitionOf(g))}, coordinator ${coordinators.get(g)}`,
        ).join("; "),
      );
      context.look("cluster", {
        en: `__consumer_offsets in the partition grid: who leads partition ${offsetsPartitionOf("ledger")}`,
        ko: `파티션 그리드의 __consumer_offsets: ${offsetsPartitionOf("ledger")}번 파티션의 리더`,
      });

      context.step({
        en: 'The group "ledger" consumes everything and commits',
        ko: '"ledger" 그룹이 모두 소비하고 커밋합니다',
      });
      let handled = 0;
      await ledger.connect();
      await ledger.subscribe({ topic: TOPIC, fromBeginning: true });
      void ledger.run({
        eachMessage: async () => {
          handled += 1;
        },
      });
      const committed = async () =>
        new Map(
          ((await admin.fetchOffsets({ groupId: "ledger", topics: [TOPIC] }))[0]?.partitions ?? []).map((p) => [
            p.partition,
            p.offset,
          ]),
        );
      const caughtUp = async (): Promise<Map<number, string>> => {
        const ends = new Map((await admin.fetchTopicOffsets(TOPIC)).map((p) => [p.partition, p.high]));
        await waitUntil("the ledger's commits to reach the end of every partition", async () => {
          const offsets = await committed();
          return [...ends].every(([partition, end]) => offsets.get(partition) === end);
        });
        return committed();
      };
      const firstOffsets = await caughtUp();
      context.explain({
        en: `Committed offsets (OffsetFetch): ${[...firstOffsets].map(([p, o]) => `p${p}=${o}`).join(", ")} — the next offset to read, per partition. ${COMMANDS / 5} more commands come, and it commits again.`,
        ko: `커밋된 오프셋(OffsetFetch): ${[...firstOffsets].map(([p, o]) => `p${p}=${o}`).join(", ")} — 파티션마다 다음에 읽을 오프셋입니다. 커맨드가 ${COMMANDS / 5}개 더 들어오고, 다시 커밋합니다.`,
      });
      await producer.send({
        topic: TOPIC,
        messages: Array.from({ length: COMMANDS / 5 }, (_, n) => ({ key: userId(n + 1), value: "{}" })),
      });
      const finalOffsets = await caughtUp();
      await ledger.stop();
      context.explain({
        en: `Handled ${handled} records in all; committed offsets now: ${[...finalOffsets].map(([p, o]) => `p${p}=${o}`).join(", ")}.`,
        ko: `모두 ${handled}개를 처리했고, 이제 커밋된 오프셋은 ${[...finalOffsets].map(([p, o]) => `p${p}=${o}`).join(", ")}입니다.`,
      });

      const offsetsPartition = offsetsPartitionOf("ledger");
      context.step({
        en: `Read partition ${offsetsPartition} of ${CONSUMER_OFFSETS_TOPIC} raw (a standalone consumer) and decode its records`,
        ko: `${CONSUMER_OFFSETS_TOPIC}의 ${offsetsPartition}번 파티션을 그대로 읽어(standalone 컨슈머) 레코드를 디코딩합니다`,
      });
      const commits: DecodedCommit[] = [];
      let otherRecords = 0;
      await reader.connect();
      reader.assign([{ topic: CONSUMER_OFFSETS_TOPIC, partitions: [offsetsPartition], fromBeginning: true }]);
      void reader.run({
        eachMessage: async ({ message }) => {
          if (!message.key) return;
          const key = decodeOffsetsRecordKey(message.key);
          if (key.kind !== "offset-commit" || message.value === null) {
            otherRecords += 1;
            return;
          }
          const value = decodeOffsetCommitValue(message.value);
          commits.push({
            offset: Number(message.offset),
            group: key.key.groupId,
            topic: key.key.topic,
            partition: key.key.partition,
            committed: value.offset,
            at: value.commitTimestamp,
          });
        },
      });
      const latest = (): Map<number, string> => {
        const byPartition = new Map<number, string>();
        for (const c of commits)
          if (c.group === "ledger" && c.topic === TOPIC) byPartition.set(c.partition, String(c.committed));
        return byPartition;
      };
      await waitUntil("the decoded commits to reach the committed offsets", () =>
        [...finalOffsets].every(([partition, offset]) => latest().get(partition) === offset),
      );
      const history = [...finalOffsets.keys()].map(
        (partition) =>
          `p${partition}: ${commits
            .filter((c) => c.group === "ledger" && c.topic === TOPIC && c.partition === partition)
            .map((c) => c.committed)
            .join(" → ")}`,
      );
      context.explain({
        en: `Per key, the records in order: ${history.join("; ")}.`,
        ko: `키별로 쌓인 레코드 순서: ${history.join("; ")}.`,
      });
      for (const c of commits.slice(-3))
        context.explain({
          en: `offset ${c.offset}: key (group "${c.group}", topic ${c.topic}, partition ${c.partition}) → value (offset ${c.committed}, committed at ${new Date(Number(c.at)).toISOString()})`,
          ko: `오프셋 ${c.offset}: 키 (그룹 "${c.group}", 토픽 ${c.topic}, 파티션 ${c.partition}) → 값 (오프셋 ${c.committed}, 커밋 시각 ${new Date(Number(c.at)).toISOString()})`,
        });
      context.explain({
        en: `${commits.length} commit records in all (${otherRecords} other records: group metadata). Each commit appends one; the latest per key is the committed offset, and log compaction may drop the older ones.`,
        ko: `커밋 레코드는 모두 ${commits.length}개입니다 (그 밖에 그룹 메타데이터 레코드 ${otherRecords}개). 커밋할 때마다 하나씩 추가되고, 키마다 가장 마지막 레코드가 커밋된 오프셋입니다. 예전 것은 로그 컴팩션으로 지워질 수 있습니다.`,
      });
      context.check(
        [...finalOffsets].every(([partition, offset]) => latest().get(partition) === offset) &&
          commits.every((c) => offsetsPartitionOf(c.group) === offsetsPartition) &&
          [...firstOffsets].every(([partition, offset]) =>
            commits.some((c) => c.partition === partition && String(c.committed) === offset),
          ),
        {
          en: "every commit is a record there (the earlier ones too); the latest per (group, topic, partition) holds exactly the committed offset; every record belongs to a group that hashes to this partition",
          ko: "커밋 하나하나가 그곳의 레코드다 (앞선 커밋도 남아 있다). (그룹, 토픽, 파티션)마다 가장 마지막 레코드가 커밋된 오프셋과 같고, 모든 레코드는 이 파티션으로 해시되는 그룹의 것이다",
        },
        [...latest()].map(([p, o]) => `p${p}=${o}`).join(", "),
      );
    } finally {
      await reader.disconnect().catch(() => undefined);
      await ledger.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  },
};
