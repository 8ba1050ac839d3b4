import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { FetchRequest } from "../../../../broker/protocol/messages/index.ts";
import { decodeRecordBatch } from "../../../../broker/protocol/record-batch/decoder.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import { splitBatches } from "../../../../broker/protocol/record-batch/splitter.ts";
import { type BrokerProcess, startBroker } from "../../../helpers/broker-process.ts";
import { WireClient } from "../../../helpers/wire-client.ts";

const fetchRequest = (
  topic: string,
  fetchOffset: bigint,
  options: Partial<FetchRequest> & { partitionMaxBytes?: number } = {},
): FetchRequest => ({
  replicaId: -1,
  maxWaitMs: 0,
  minBytes: 1,
  maxBytes: 1 << 20,
  isolationLevel: 1,
  sessionId: 0,
  sessionEpoch: -1,
  topics: [
    {
      topic,
      partitions: [
        {
          partition: 0,
          currentLeaderEpoch: -1,
          fetchOffset,
          logStartOffset: -1n,
          partitionMaxBytes: options.partitionMaxBytes ?? 1 << 20,
        },
      ],
    },
  ],
  forgottenTopicsData: [],
  rackId: "",
  ...options,
});

const valuesOf = (records: Buffer | null): string[] => {
  if (!records) return [];
  return splitBatches(records).batches.flatMap((b) =>
    decodeRecordBatch(records, b.position).records.map((r) => r.value!.toString()),
  );
};

describe("Fetch", () => {
  let broker: BrokerProcess;
  let client: WireClient;
  let producer: WireClient;

  const produce = (topic: string, values: string[]) =>
    producer.request(Apis.Produce, 7, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [
        {
          name: topic,
          partitionData: [
            {
              index: 0,
              records: encodeRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) }),
            },
          ],
        },
      ],
    });

  before(async () => {
    broker = await startBroker();
    client = await WireClient.connect(broker.address);
    producer = await WireClient.connect(broker.address);
  });
  after(async () => {
    client?.close();
    producer?.close();
    await broker?.cleanup();
  });

  it("when fetching from the middle of a batch, then the whole containing batch comes back as stored", async () => {
    await produce("fetch-mid", ["a", "b", "c"]);
    await produce("fetch-mid", ["d"]);
    const response = await client.request(Apis.Fetch, 11, fetchRequest("fetch-mid", 1n));
    const partition = response.responses[0]!.partitions[0]!;
    assert.equal(partition.errorCode, ErrorCode.NONE);
    assert.equal(partition.highWatermark, 4n);
    assert.equal(partition.lastStableOffset, 4n);
    assert.deepEqual(valuesOf(partition.records as Buffer), ["a", "b", "c", "d"]);
  });

  it("when partition max bytes is smaller than the first batch, then exactly that one batch is returned", async () => {
    await produce("fetch-small", ["first-batch"]);
    await produce("fetch-small", ["second-batch"]);
    const response = await client.request(Apis.Fetch, 11, fetchRequest("fetch-small", 0n, { partitionMaxBytes: 10 }));
    assert.deepEqual(valuesOf(response.responses[0]!.partitions[0]!.records as Buffer), ["first-batch"]);
  });

  it("when the fetch offset is past the log end, then OFFSET_OUT_OF_RANGE", async () => {
    await produce("fetch-range", ["only"]);
    const response = await client.request(Apis.Fetch, 11, fetchRequest("fetch-range", 5n));
    assert.equal(response.responses[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it("when nothing is available, then the fetch waits and answers with the records produced meanwhile", async () => {
    await produce("fetch-wait", ["old"]);
    // The Fetch and then the Produce on one connection: the broker reads them in that order, so the
    // fetch finds nothing at offset 1 and is answered with "new" only if it waited for the Produce.
    const pending = producer.request(Apis.Fetch, 11, fetchRequest("fetch-wait", 1n, { maxWaitMs: 30000 }));
    await produce("fetch-wait", ["new"]);
    const response = await pending;
    assert.deepEqual(valuesOf(response.responses[0]!.partitions[0]!.records as Buffer), ["new"]);
  });

  it("when max wait passes with nothing new, then an empty answer comes back", async () => {
    await produce("fetch-empty", ["old"]);
    const response = await client.request(Apis.Fetch, 4, fetchRequest("fetch-empty", 1n, { maxWaitMs: 100 }));
    const partition = response.responses[0]!.partitions[0]!;
    assert.equal(partition.errorCode, ErrorCode.NONE);
    assert.deepEqual(valuesOf(partition.records as Buffer | null), []);
  });
});
