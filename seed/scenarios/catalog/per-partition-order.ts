// Scenario 3: order is per partition. Six users' numbered commands are sent interleaved, one send
// each; one consumer then reads them all. Each user's commands come back in the order they were
// sent (one partition, one log), while the global send order across partitions is not kept.
import type { Scenario } from "../scenario.ts";
import { COMMANDS_TOPIC, pointsCommand, startMember, userIds, waitUntil, withClients } from "../toolkit.ts";

const PARTITIONS = 3;
const USERS = 6;
const COMMANDS_PER_USER = 8;

export const perPartitionOrder: Scenario = {
  name: "per-partition-order",
  number: 3,
  title: { en: "Order holds within a partition, not across", ko: "순서는 파티션 안에서만 보장된다" },
  concept: {
    en: "A partition is an append-only log read in offset order, so records of one partition are consumed in the order they were written. Kafka promises no order across partitions: that is why commands are keyed by userId.",
    ko: "파티션은 덧붙이기만 하는 로그이고 오프셋 순서로 읽히므로, 한 파티션의 레코드는 쓰인 순서대로 소비됩니다. 파티션 사이의 순서는 보장하지 않기 때문에 명령의 키를 userId로 둡니다.",
  },
  brokers: 1,
  async run(context) {
    const users = userIds(USERS);
    await withClients(context.system, async (clients) => {
      context.step({
        en: `${USERS} users each send commands numbered 1…${COMMANDS_PER_USER}, interleaved (user-0001 #1, user-0002 #1, …), to ${PARTITIONS} partitions`,
        ko: `사용자 ${USERS}명이 1…${COMMANDS_PER_USER}번 명령을 번갈아(user-0001 1번, user-0002 1번, …) 파티션 ${PARTITIONS}개짜리 토픽에 보냅니다`,
      });
      await clients.createTopic(COMMANDS_TOPIC, PARTITIONS);
      const producer = await clients.producer();
      const sendOrder: string[] = [];
      for (let n = 1; n <= COMMANDS_PER_USER; n++)
        for (const userId of users) {
          const command = pointsCommand(userId, n);
          await producer.send({
            topic: COMMANDS_TOPIC,
            acks: -1,
            messages: [{ key: userId, value: JSON.stringify(command) }],
          });
          sendOrder.push(command.commandId);
        }

      context.step({
        en: "One consumer reads the whole topic",
        ko: "컨슈머 하나가 토픽 전체를 읽습니다",
      });
      const reader = await startMember(clients, "reader", "order-reader", COMMANDS_TOPIC);
      await waitUntil(
        () => `all ${sendOrder.length} commands read (${reader.seen.length} so far)`,
        () => reader.seen.length >= sendOrder.length,
      );
      context.look("topics", {
        en: `the partition grid shows each partition's end offset; the message browser, one user's commands in a row`,
        ko: "파티션 그리드에서 파티션별 마지막 오프셋을, 메시지 브라우저에서 한 사용자의 명령이 연달아 있는 것을 보세요",
      });

      const numbers = new Map<string, number[]>(users.map((u) => [u, []]));
      const partitionOf = new Map<string, number>();
      for (const record of reader.seen) {
        const command = JSON.parse(record.value ?? "{}") as { userId: string; commandId: string };
        numbers.get(command.userId)?.push(Number(command.commandId.split("-cmd-")[1]));
        partitionOf.set(command.userId, record.partition);
      }
      for (const userId of users.slice(0, 3))
        context.explain({
          en: `${userId} (partition ${partitionOf.get(userId)}): read as #${numbers.get(userId)!.join(", #")}`,
          ko: `${userId}(파티션 ${partitionOf.get(userId)}): 읽은 순서 ${numbers.get(userId)!.join(", ")}번`,
        });
      const outOfOrder = users.filter((u) => numbers.get(u)!.some((n, i) => n !== i + 1));
      context.check(
        outOfOrder.length === 0,
        {
          en: "each user's commands were read in the order they were sent",
          ko: "사용자마다 명령을 보낸 순서 그대로 읽었습니다",
        },
        outOfOrder.length === 0 ? undefined : outOfOrder.map((u) => `${u}: ${numbers.get(u)!.join(",")}`).join("; "),
      );
      const offsetsRise = [...Array(PARTITIONS).keys()].every((p) => {
        const offsets = reader.seen.filter((r) => r.partition === p).map((r) => BigInt(r.offset));
        return offsets.every((offset, i) => i === 0 || offset > offsets[i - 1]!);
      });
      context.check(offsetsRise, {
        en: "within each partition, records came in rising offset order",
        ko: "각 파티션 안에서는 오프셋이 커지는 순서로 읽었습니다",
      });

      context.step({
        en: "Compare the order read across all partitions with the order sent",
        ko: "파티션 전체를 놓고 읽은 순서와 보낸 순서를 비교합니다",
      });
      const readOrder = reader.seen.map((r) => (JSON.parse(r.value ?? "{}") as { commandId: string }).commandId);
      const firstDifference = readOrder.findIndex((id, i) => id !== sendOrder[i]);
      context.explain({
        en: `sent: ${sendOrder.slice(0, 4).join(", ")}, …  read: ${readOrder.slice(0, 4).join(", ")}, …`,
        ko: `보낸 순서: ${sendOrder.slice(0, 4).join(", ")}, …  읽은 순서: ${readOrder.slice(0, 4).join(", ")}, …`,
      });
      context.check(
        new Set(partitionOf.values()).size > 1 && firstDifference >= 0,
        {
          en: "across partitions the send order is not kept: the consumer reads partition by partition",
          ko: "파티션 사이에서는 보낸 순서가 지켜지지 않습니다: 컨슈머는 파티션 단위로 읽습니다",
        },
        firstDifference >= 0 ? `first difference at position ${firstDifference}` : "read in send order",
      );
      context.explain({
        en: "That is fine for the ledger: a balance depends only on its own user's commands, and those share a partition.",
        ko: "원장(ledger)에는 문제가 없습니다: 잔액은 그 사용자의 명령에만 달려 있고, 그 명령들은 한 파티션에 함께 있으니까요.",
      });
    });
  },
};
