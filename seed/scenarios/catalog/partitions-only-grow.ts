// Scenario 13: a topic's partitions can be added but never removed (CreatePartitions to fewer is
// refused with INVALID_PARTITIONS), and adding some changes murmur2(key) % partitions for part of
// the keys: those users' next commands land on another partition than their earlier ones. The list
// of who moves is computed here with the producer's own murmur2, then checked against where the
// broker stored the records produced after the growth.
import { KafkaJSProtocolError } from "../../../broker/client/index.ts";
import { murmur2 } from "../../../broker/client/producer/partitioners.ts";
import type { Scenario } from "../scenario.ts";
import { kafkaOn, waitUntil } from "../toolkit.ts";
import { userId } from "../watched-group.ts";

const TOPIC = "points.commands";
const BEFORE = 3;
const AFTER = 6;
const USERS = 12;

/** The default partitioner's choice for a string key: positive murmur2 of its UTF-8 bytes, modulo the count. */
function partitionOf(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, "utf8")) & 0x7fffffff) % partitions;
}

interface Stored {
  key: string;
  phase: string;
  partition: number;
}

export const partitionsOnlyGrow: Scenario = {
  name: "partitions-only-grow",
  number: 13,
  title: { en: "Partitions only grow", ko: "파티션은 늘릴 수만 있다" },
  concept: {
    en: "A topic's partition count can be raised but never lowered; raising it changes hash(key) % partitions for some keys, so those users' new records go to a different partition than their old ones.",
    ko: "토픽의 파티션 수는 늘릴 수만 있고 줄일 수는 없습니다. 늘리면 일부 키의 hash(key) % 파티션 수가 바뀌어, 그 사용자의 새 레코드는 예전 레코드와 다른 파티션으로 갑니다.",
  },
  brokers: 1,
  async run(context) {
    const { system } = context;
    const kafka = kafkaOn(system, "scenario");
    const admin = kafka.admin();
    const before = kafka.producer();
    // A producer created after the growth: its first metadata already has every partition.
    const after = kafka.producer();
    const reader = kafka.consumer({ groupId: "", maxWaitTimeInMs: 100 });
    const users = Array.from({ length: USERS }, (_, n) => userId(n + 1));
    const command = (key: string, phase: string) => ({
      key,
      value: JSON.stringify({ type: "charge", userId: key, amount: 100, storeId: "store-1", phase }),
    });
    try {
      context.step({
        en: `Create ${TOPIC} with ${BEFORE} partitions; each of ${USERS} users charges once`,
        ko: `파티션 ${BEFORE}개짜리 ${TOPIC} 토픽을 만들고, 사용자 ${USERS}명이 한 번씩 적립합니다`,
      });
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: BEFORE }], waitForLeaders: true });
      await before.connect();
      await before.send({ topic: TOPIC, messages: users.map((u) => command(u, "before")) });

      context.step({
        en: `Try to shrink it to ${BEFORE - 1} partitions (CreatePartitions with count ${BEFORE - 1})`,
        ko: `파티션을 ${BEFORE - 1}개로 줄여 봅니다 (count ${BEFORE - 1}로 CreatePartitions)`,
      });
      let refusal: unknown;
      try {
        await admin.createPartitions({ topicPartitions: [{ topic: TOPIC, count: BEFORE - 1 }] });
      } catch (error) {
        refusal = error;
      }
      const stillThere = (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics[0]?.partitions.length;
      context.explain({
        en: `The controller answers: ${refusal instanceof Error ? refusal.message.replace(/\.+$/, "") : "nothing — it was accepted"}. A partition holds records (and offsets consumers committed); removing one would lose them or break every key's placement.`,
        ko: `컨트롤러의 답: ${refusal instanceof Error ? refusal.message.replace(/\.+$/, "") : "없음 — 받아들여졌습니다"}. 파티션에는 레코드(와 컨슈머가 커밋한 오프셋)가 있어서, 하나를 없애면 그것을 잃거나 모든 키의 위치가 깨집니다.`,
      });
      context.check(
        refusal instanceof KafkaJSProtocolError && refusal.type === "INVALID_PARTITIONS" && stillThere === BEFORE,
        {
          en: "shrinking is refused with INVALID_PARTITIONS, and the topic keeps its partitions",
          ko: "줄이기는 INVALID_PARTITIONS로 거절되고, 토픽의 파티션 수는 그대로다",
        },
        `${refusal instanceof KafkaJSProtocolError ? refusal.type : String(refusal)}; partitions: ${stillThere}`,
      );

      context.step({
        en: `Which users would move if it grew to ${AFTER}? murmur2(userId) % ${BEFORE} against % ${AFTER}`,
        ko: `${AFTER}개로 늘리면 어떤 사용자가 옮겨 갈까요? murmur2(userId) % ${BEFORE}와 % ${AFTER} 비교`,
      });
      const moving = users.filter((u) => partitionOf(u, BEFORE) !== partitionOf(u, AFTER));
      for (const u of users)
        context.explain({
          en: `${u}: partition ${partitionOf(u, BEFORE)} → ${partitionOf(u, AFTER)}${moving.includes(u) ? "   moves" : ""}`,
          ko: `${u}: 파티션 ${partitionOf(u, BEFORE)} → ${partitionOf(u, AFTER)}${moving.includes(u) ? "   이동" : ""}`,
        });
      context.explain({
        en: `${moving.length} of ${USERS} users move: ${moving.join(", ")}.`,
        ko: `사용자 ${USERS}명 중 ${moving.length}명이 옮겨 갑니다: ${moving.join(", ")}.`,
      });
      context.look("topics", {
        en: "the key → partition calculator shows the same for any userId",
        ko: "키 → 파티션 계산기로 어떤 userId든 같은 결과를 볼 수 있습니다",
      });

      context.step({
        en: `Grow ${TOPIC} to ${AFTER} partitions; each user charges once more`,
        ko: `${TOPIC}를 파티션 ${AFTER}개로 늘리고, 사용자마다 한 번 더 적립합니다`,
      });
      await admin.createPartitions({ topicPartitions: [{ topic: TOPIC, count: AFTER }] });
      await waitUntil(`${TOPIC} to have ${AFTER} partitions with leaders`, async () => {
        const partitions = (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics[0]?.partitions ?? [];
        return partitions.length === AFTER && partitions.every((p) => p.leader >= 0);
      });
      await after.connect();
      await after.send({ topic: TOPIC, messages: users.map((u) => command(u, "after")) });

      const stored: Stored[] = [];
      await reader.connect();
      reader.assign([{ topic: TOPIC, partitions: [...Array(AFTER).keys()], fromBeginning: true }]);
      void reader.run({
        eachMessage: async ({ partition, message }) => {
          const { phase } = JSON.parse(message.value?.toString() ?? "{}") as { phase?: string };
          stored.push({ key: message.key?.toString() ?? "", phase: phase ?? "", partition });
        },
      });
      await waitUntil("every record to be read back", () => stored.length === USERS * 2);
      const where = (u: string, phase: string) => stored.find((s) => s.key === u && s.phase === phase)?.partition;
      const misplaced = users.filter((u) => where(u, "after") !== partitionOf(u, AFTER));
      const movedOnBroker = users.filter((u) => where(u, "before") !== where(u, "after"));
      context.explain({
        en: `Read back from the broker: the users whose two commands sit on different partitions are ${movedOnBroker.join(", ")}.`,
        ko: `브로커에서 다시 읽어 보니, 두 커맨드가 서로 다른 파티션에 있는 사용자는 ${movedOnBroker.join(", ")}입니다.`,
      });
      context.check(
        misplaced.length === 0 && movedOnBroker.join() === moving.join() && moving.length > 0 && moving.length < USERS,
        {
          en: "every command after the growth landed where the list says; exactly the listed users moved, the others stayed",
          ko: "늘린 뒤의 커맨드가 모두 목록대로 들어갔고, 목록의 사용자만 옮겨 갔으며 나머지는 그대로다",
        },
        `misplaced: ${misplaced.join(", ") || "none"}; moved: ${movedOnBroker.join(", ")}`,
      );
      context.explain({
        en: "For a moved user, commands still waiting on the old partition and new ones on the new partition are read by different consumers, so they may be applied out of order. To have fewer partitions, create a new topic and copy the records keyed as before (scenario 14).",
        ko: "옮겨 간 사용자의 경우, 예전 파티션에 남은 커맨드와 새 파티션의 커맨드를 서로 다른 컨슈머가 읽으므로 순서가 뒤바뀌어 적용될 수 있습니다. 파티션을 줄이려면 새 토픽을 만들고 같은 키로 레코드를 옮겨 담아야 합니다 (시나리오 14).",
      });
    } finally {
      await reader.disconnect().catch(() => undefined);
      await after.disconnect().catch(() => undefined);
      await before.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  },
};
