// Scenario 1: what one record is. A charge command is produced the way points-api does (key userId,
// JSON value, headers), then read back raw: one Fetch request to the partition's leader, and the
// record batch in its bytes decoded field by field with the broker's own protocol decoder.
import { fetchPartitionBytes, READ_UNCOMMITTED } from "../../../broker/client/partition-reads.ts";
import { decodeRecordBatch } from "../../../broker/protocol/record-batch/decoder.ts";
import {
  BATCH_HEADER_SIZE,
  compressionCodecOf,
  compressionName,
} from "../../../broker/protocol/record-batch/layout.ts";
import { crcIsValid } from "../../../broker/protocol/record-batch/splitter.ts";
import type { Scenario, ScenarioSystem } from "../scenario.ts";
import { COMMANDS_TOPIC, pointsCommand, wireCluster, withClients } from "../toolkit.ts";

const PARTITIONS = 3;

/** The raw bytes of `topic`-`partition` from `offset` on: the records section of one Fetch response. */
async function fetchRawRecords(
  system: ScenarioSystem,
  topic: string,
  partition: number,
  offset: bigint,
): Promise<Buffer> {
  const cluster = wireCluster(system, "record-anatomy");
  try {
    const fetched = await fetchPartitionBytes(
      cluster,
      { topic, partition, offset, maxBytes: 64 * 1024, isolationLevel: READ_UNCOMMITTED },
      { retries: 0 },
    );
    if (!fetched) throw new Error(`the Fetch answer of ${topic}-${partition} left the partition out`);
    return fetched.records;
  } finally {
    cluster.disconnect();
  }
}

/** `bytes` as hex, 16 to a line, each line prefixed with its position. */
function hexLines(bytes: Buffer): string[] {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16)
    lines.push(
      `${String(at).padStart(4)}  ${[...bytes.subarray(at, at + 16)].map((b) => b.toString(16).padStart(2, "0")).join(" ")}`,
    );
  return lines;
}

export const recordAnatomy: Scenario = {
  name: "record-anatomy",
  number: 1,
  title: { en: "What a record is made of", ko: "레코드는 무엇으로 이루어져 있나" },
  concept: {
    en: "A Kafka record is a key, a value, headers and a timestamp; the broker gives it an offset, its place in the partition's log, and stores it inside a record batch.",
    ko: "카프카 레코드는 키, 값, 헤더, 타임스탬프로 이루어지고, 브로커가 파티션 로그 안의 위치인 오프셋을 붙여 레코드 배치에 담아 저장합니다.",
  },
  brokers: 1,
  async run(context) {
    const { system } = context;
    await withClients(system, async (clients) => {
      context.step({
        en: `Create ${COMMANDS_TOPIC} with ${PARTITIONS} partitions and produce one charge command, as points-api does`,
        ko: `${COMMANDS_TOPIC} 토픽을 파티션 ${PARTITIONS}개로 만들고, points-api처럼 적립(charge) 명령 하나를 프로듀스합니다`,
      });
      await clients.createTopic(COMMANDS_TOPIC, PARTITIONS);
      const producer = await clients.producer();
      const command = pointsCommand("user-0007", 1, "charge", 500);
      const headers = { "command-type": "charge", source: "points-api" };
      const before = Date.now();
      const [sent] = await producer.send({
        topic: COMMANDS_TOPIC,
        acks: -1,
        messages: [{ key: command.userId, value: JSON.stringify(command), headers }],
      });
      const after = Date.now();
      if (!sent?.baseOffset) throw new Error("the producer reported no offset");
      const sentOffset = BigInt(sent.baseOffset);
      context.explain({
        en: `key "${command.userId}" (the userId), value: the command as JSON, headers ${JSON.stringify(headers)}. The broker answered: partition ${sent.partition}, offset ${sent.baseOffset}.`,
        ko: `키는 "${command.userId}"(userId), 값은 JSON으로 된 명령, 헤더는 ${JSON.stringify(headers)}입니다. 브로커의 응답: 파티션 ${sent.partition}, 오프셋 ${sent.baseOffset}.`,
      });
      context.look("topics", {
        en: `the message browser shows this record in ${COMMANDS_TOPIC}, partition ${sent.partition}`,
        ko: `메시지 브라우저에서 ${COMMANDS_TOPIC}의 파티션 ${sent.partition}에 있는 이 레코드를 볼 수 있습니다`,
      });

      context.step({
        en: "Read it back raw: one Fetch request to the partition's leader, no consumer in between",
        ko: "원본 그대로 다시 읽습니다: 컨슈머 없이 파티션 리더에게 Fetch 요청 하나를 보냅니다",
      });
      const bytes = await fetchRawRecords(system, COMMANDS_TOPIC, sent.partition, sentOffset);
      context.explain({
        en: `${bytes.length} bytes came back: one record batch. Its first ${BATCH_HEADER_SIZE} bytes are the batch header:`,
        ko: `${bytes.length}바이트가 돌아왔습니다: 레코드 배치 하나입니다. 앞의 ${BATCH_HEADER_SIZE}바이트가 배치 헤더입니다:`,
      });
      for (const line of hexLines(bytes.subarray(0, BATCH_HEADER_SIZE)))
        context.explain({ en: `  ${line}`, ko: `  ${line}` });
      const { header, records } = decodeRecordBatch(bytes, 0);
      context.explain({
        en: `baseOffset ${header.baseOffset} (bytes 0-7), batchLength ${header.batchLength}, magic ${header.magic} (format v2), crc ${header.crc.toString(16)} (CRC-32C of the rest), compression ${compressionName(compressionCodecOf(header.attributes))}, baseTimestamp ${header.baseTimestamp}, producerId ${header.producerId}, ${header.recordCount} record(s)`,
        ko: `baseOffset ${header.baseOffset}(0~7번째 바이트), batchLength ${header.batchLength}, magic ${header.magic}(v2 형식), crc ${header.crc.toString(16)}(나머지 바이트의 CRC-32C), 압축 ${compressionName(compressionCodecOf(header.attributes))}, baseTimestamp ${header.baseTimestamp}, producerId ${header.producerId}, 레코드 ${header.recordCount}개`,
      });
      context.check(header.magic === 2 && crcIsValid(bytes, 0), {
        en: "the batch is in record format v2 and its CRC matches its bytes",
        ko: "배치는 레코드 형식 v2이고 CRC가 바이트와 일치합니다",
      });

      context.step({
        en: "Decode the record inside the batch: offset = baseOffset + offsetDelta, timestamp = baseTimestamp + timestampDelta",
        ko: "배치 안의 레코드를 디코딩합니다: 오프셋 = baseOffset + offsetDelta, 타임스탬프 = baseTimestamp + timestampDelta",
      });
      const record = records[0];
      if (!record) throw new Error("the batch holds no record");
      const key = record.key?.toString("utf8") ?? null;
      const value = record.value?.toString("utf8") ?? null;
      const readHeaders = Object.fromEntries(record.headers.map((h) => [h.key, h.value?.toString("utf8") ?? null]));
      context.explain({
        en: `offset ${record.offset}, timestamp ${record.timestamp} (${new Date(Number(record.timestamp)).toISOString()}), key "${key}", headers ${JSON.stringify(readHeaders)}`,
        ko: `오프셋 ${record.offset}, 타임스탬프 ${record.timestamp}(${new Date(Number(record.timestamp)).toISOString()}), 키 "${key}", 헤더 ${JSON.stringify(readHeaders)}`,
      });
      context.explain({ en: `value ${value}`, ko: `값 ${value}` });
      context.check(
        key === command.userId,
        { en: "the key is the userId, byte for byte", ko: "키는 바이트 단위로 userId와 같습니다" },
        `key ${key}`,
      );
      context.check(value === JSON.stringify(command), {
        en: "the value is the command's JSON as sent",
        ko: "값은 보낸 그대로의 명령 JSON입니다",
      });
      context.check(JSON.stringify(readHeaders) === JSON.stringify(headers), {
        en: "the headers came back as sent",
        ko: "헤더도 보낸 그대로 돌아왔습니다",
      });
      const timestamp = Number(record.timestamp);
      context.check(
        timestamp >= before && timestamp <= after,
        { en: "the timestamp is the send time (CreateTime)", ko: "타임스탬프는 보낸 시각(CreateTime)입니다" },
        `${timestamp} vs [${before}, ${after}]`,
      );
      context.check(
        record.offset === sentOffset,
        { en: "the offset is the one the broker acknowledged", ko: "오프셋은 브로커가 응답한 그 오프셋입니다" },
        `${record.offset}`,
      );
      context.explain({
        en: "The offset is not sent by the producer: the partition's leader assigns it when it appends the batch.",
        ko: "오프셋은 프로듀서가 보내는 값이 아닙니다: 파티션 리더가 배치를 로그에 추가할 때 붙입니다.",
      });
    });
  },
};
