// Scenario 19: retries without duplicates. A producer retries a batch when it got no answer, though
// the broker may have stored it. Here the retry is played on the wire, byte for byte: the same
// encoded batch is sent twice over the client's own connection to the leader. Without a producer id
// the broker appends it twice; with one (InitProducerId) and sequence numbers, the broker recognises
// the resend, answers with the first copy's offset and stores nothing new; a gap in the sequence
// numbers is refused.
import type { BrokerConnection } from "../../../broker/client/network/broker-connection.ts";
import { Apis } from "../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { encodeRecordBatch } from "../../../broker/protocol/record-batch/encoder.ts";
import { eventually } from "../admin-views.ts";
import type { Scenario } from "../scenario.ts";
import { type Clients, pointsCommand, wireCluster, withClients } from "../toolkit.ts";

const PLAIN_TOPIC = "points.retries.plain";
const IDEMPOTENT_TOPIC = "points.retries.idempotent";

interface ProducerIdentity {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
}

/** A batch of `values` (keyed by user-0001) as a producer encodes it; with an identity, idempotent. */
function batchOf(values: string[], identity?: ProducerIdentity): Buffer {
  return encodeRecordBatch({
    records: values.map((value) => ({ key: Buffer.from("user-0001"), value: Buffer.from(value) })),
    ...identity,
  });
}

/** One Produce request of `batch` to partition 0 of `topic` with acks=all: its error name and base offset. */
async function produce(
  connection: BrokerConnection,
  topic: string,
  batch: Buffer,
): Promise<{ error: string; baseOffset: bigint }> {
  const response = await connection.request(Apis.Produce, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  });
  const answer = response.responses[0]!.partitionResponses[0]!;
  return { error: errorName(answer.errorCode), baseOffset: answer.baseOffset };
}

function errorName(code: number): string {
  return Object.entries(ErrorCode).find(([, value]) => value === code)?.[0] ?? String(code);
}

export const idempotentProducer: Scenario = {
  name: "idempotent-producer",
  number: 19,
  title: { en: "The idempotent producer: retries do not duplicate", ko: "멱등성 프로듀서: 재시도해도 중복되지 않는다" },
  concept: {
    en: "A producer that gets no answer sends the batch again, though the broker may have stored it already. An idempotent producer numbers its batches (producer id, epoch, sequence number per partition); the broker keeps the last numbers per producer and stores a resent batch only once.",
    ko: "응답을 받지 못한 프로듀서는 배치를 다시 보냅니다. 브로커가 이미 저장했을 수도 있는데도요. 멱등성 프로듀서는 배치마다 번호(프로듀서 ID, 에포크, 파티션별 시퀀스 번호)를 붙이고, 브로커는 프로듀서마다 마지막 번호를 기억해 다시 온 배치를 한 번만 저장합니다.",
  },
  brokers: 1,
  async run({ step, explain, look, check, system }) {
    await withClients(system, async (clients) => {
      await clients.createTopic(PLAIN_TOPIC, 1);
      await clients.createTopic(IDEMPOTENT_TOPIC, 1);
      const cluster = wireCluster(system, "idempotent-producer");
      try {
        await cluster.addTargetTopics([PLAIN_TOPIC, IDEMPOTENT_TOPIC]);
        const { connection } = await cluster.leaderFor(PLAIN_TOPIC, 0);
        const commands = ["a", "b", "c"].map((n) =>
          JSON.stringify({ ...pointsCommand("user-0001", 0), commandId: `order-42-${n}` }),
        );

        step({
          en: `A plain producer sends 3 commands to ${PLAIN_TOPIC}, gets no answer, and sends the same batch again`,
          ko: `일반 프로듀서가 ${PLAIN_TOPIC}에 명령 3개를 보내고, 응답을 받지 못해 같은 배치를 다시 보냅니다`,
        });
        explain({
          en: "Played on the wire: the very bytes a producer sends, twice. The first answer stands for the one lost to a timeout or a broken connection after the broker had stored the batch.",
          ko: "와이어 수준에서 재현합니다. 프로듀서가 보내는 바이트 그대로를 두 번 보냅니다. 첫 번째 응답은 브로커가 저장한 뒤 타임아웃이나 연결 끊김으로 잃어버린 응답이라고 생각하면 됩니다.",
        });
        const plainBatch = batchOf(commands);
        const plainFirst = await produce(connection, PLAIN_TOPIC, plainBatch);
        const plainRetry = await produce(connection, PLAIN_TOPIC, plainBatch);
        explain({
          en: `answers: ${plainFirst.error} at offset ${plainFirst.baseOffset}, then ${plainRetry.error} at offset ${plainRetry.baseOffset}`,
          ko: `응답: ${plainFirst.error}(오프셋 ${plainFirst.baseOffset}), 그다음 ${plainRetry.error}(오프셋 ${plainRetry.baseOffset})`,
        });
        const plainStored = await readValues(clients, PLAIN_TOPIC);
        check(
          plainStored.length === 6 && commands.every((c) => plainStored.filter((v) => v === c).length === 2),
          {
            en: "without a producer id the broker cannot tell a retry from a new batch: every command is stored twice",
            ko: "프로듀서 ID가 없으면 브로커는 재시도와 새 배치를 구별할 수 없습니다. 명령마다 두 번씩 저장되었습니다",
          },
          `${plainStored.length} records stored`,
        );

        step({
          en: `An idempotent producer gets a producer id (InitProducerId) and does the same to ${IDEMPOTENT_TOPIC}`,
          ko: `멱등성 프로듀서가 프로듀서 ID를 받고(InitProducerId) ${IDEMPOTENT_TOPIC}에 똑같이 합니다`,
        });
        const init = await connection.request(Apis.InitProducerId, {
          transactionalId: null,
          transactionTimeoutMs: 60_000,
          producerId: -1n,
          producerEpoch: -1,
        });
        if (init.errorCode !== ErrorCode.NONE || init.producerId === undefined)
          throw new Error(`InitProducerId failed: ${errorName(init.errorCode)}`);
        const identity = { producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: 0 };
        explain({
          en: `producer id ${identity.producerId}, epoch ${identity.producerEpoch}; the batch carries base sequence 0 (its 3 records are sequence numbers 0, 1, 2)`,
          ko: `프로듀서 ID ${identity.producerId}, 에포크 ${identity.producerEpoch}; 배치의 시작 시퀀스는 0입니다(레코드 3개가 시퀀스 0, 1, 2)`,
        });
        const idempotentBatch = batchOf(commands, identity);
        const first = await produce(connection, IDEMPOTENT_TOPIC, idempotentBatch);
        const retry = await produce(connection, IDEMPOTENT_TOPIC, idempotentBatch);
        explain({
          en: `answers: ${first.error} at offset ${first.baseOffset}, then ${retry.error} at offset ${retry.baseOffset}`,
          ko: `응답: ${first.error}(오프셋 ${first.baseOffset}), 그다음 ${retry.error}(오프셋 ${retry.baseOffset})`,
        });
        const stored = await readValues(clients, IDEMPOTENT_TOPIC);
        check(first.error === "NONE" && retry.error === "NONE" && retry.baseOffset === first.baseOffset, {
          en: "the retry succeeds and gets the first copy's offset: the broker saw producer id, epoch and sequence it had already stored",
          ko: "재시도도 성공으로 응답받고 첫 번째 복사본의 오프셋을 돌려받습니다. 브로커가 이미 저장한 프로듀서 ID, 에포크, 시퀀스임을 알아본 것입니다",
        });
        check(
          stored.length === 3 && commands.every((c) => stored.filter((v) => v === c).length === 1),
          { en: "every command is stored once", ko: "명령마다 한 번씩만 저장되었습니다" },
          `${stored.length} records stored`,
        );

        step({
          en: "The producer goes on: the next batch starts at sequence 3; a batch that skips ahead is refused",
          ko: "프로듀서가 계속 보냅니다. 다음 배치는 시퀀스 3에서 시작하고, 번호를 건너뛴 배치는 거부됩니다",
        });
        const next = await produce(connection, IDEMPOTENT_TOPIC, batchOf(["d"], { ...identity, baseSequence: 3 }));
        const gap = await produce(connection, IDEMPOTENT_TOPIC, batchOf(["f"], { ...identity, baseSequence: 5 }));
        check(
          next.error === "NONE" && next.baseOffset === 3n && gap.error === "OUT_OF_ORDER_SEQUENCE_NUMBER",
          {
            en: "sequence 3 is stored at offset 3; sequence 5 (4 missing) gets OUT_OF_ORDER_SEQUENCE_NUMBER, so a lost batch cannot go unnoticed",
            ko: "시퀀스 3은 오프셋 3에 저장되고, 시퀀스 5(4가 빠짐)는 OUT_OF_ORDER_SEQUENCE_NUMBER를 받습니다. 그래서 배치가 사라져도 모르고 지나갈 수 없습니다",
          },
          `next: ${next.error} at ${next.baseOffset}; gap: ${gap.error}`,
        );
        explain({
          en: "Our client does all this with producer({ idempotent: true }), as points-api does: its retries keep the batch's numbers, and one batch per partition is in flight.",
          ko: "우리 클라이언트는 points-api처럼 producer({ idempotent: true })로 이 모든 것을 합니다. 재시도할 때 배치 번호를 그대로 유지하고, 파티션마다 한 번에 배치 하나만 보냅니다.",
        });
        look("topics", {
          en: `the message browser: ${PLAIN_TOPIC} holds each command twice, ${IDEMPOTENT_TOPIC} once`,
          ko: `메시지 브라우저에서 ${PLAIN_TOPIC}에는 명령이 두 번씩, ${IDEMPOTENT_TOPIC}에는 한 번씩 있습니다`,
        });
      } finally {
        cluster.disconnect();
      }
    });
  },
};

/** Every value of partition 0 of `topic`, read without a group up to its end. */
async function readValues(clients: Clients, topic: string): Promise<string[]> {
  const admin = await clients.admin();
  const end = Number((await admin.fetchTopicOffsets(topic)).find((p) => p.partition === 0)?.high ?? "0");
  const values: string[] = [];
  const consumer = await clients.consumer({ groupId: "", maxWaitTimeInMs: 100 });
  consumer.assign([{ topic, partitions: [0], fromBeginning: true }]);
  await consumer.run({
    eachMessage: async ({ message }) => {
      values.push(message.value?.toString() ?? "");
    },
  });
  await eventually(() => values.length >= end, 20_000);
  await consumer.stop();
  return values;
}
