import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import { useBroker } from "../../../helpers/broker-process.ts";
import { createTopicsRequest, produceRequest } from "../../../helpers/requests.ts";
import { WireClient } from "../../../helpers/wire-client.ts";

describe("DeleteTopics", () => {
  const broker = useBroker({ config: { "auto.create.topics.enable": false } });
  let client: WireClient;

  const create = (name: string) =>
    client.request(Apis.CreateTopics, 4, createTopicsRequest([{ name, numPartitions: 2 }]));
  const produce = (name: string) =>
    client.request(
      Apis.Produce,
      7,
      produceRequest(
        name,
        [
          {
            index: 0,
            records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from("x"), timestamp: 1n }] }),
          },
        ],
        { timeoutMs: 1000 },
      ),
    );
  const latest = async (name: string) =>
    (
      await client.request(Apis.ListOffsets, 3, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name, partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
      })
    ).topics[0]!.partitions[0]!;
  const deleteTopics = async (...topicNames: string[]) =>
    (await client.request(Apis.DeleteTopics, 3, { topicNames, timeoutMs: 5000 })).responses;

  before(async () => {
    client = await WireClient.connect(broker.address);
  });
  after(() => client?.close());

  it("when a topic is deleted, then its partitions' files are gone, it is unknown, and a new topic of that name starts empty", async () => {
    await create("doomed");
    await produce("doomed");
    assert.equal((await latest("doomed")).offset, 1n);
    assert.ok(existsSync(join(broker.dataDir, "doomed-0")));

    assert.deepEqual(await deleteTopics("doomed"), [{ name: "doomed", errorCode: ErrorCode.NONE }]);
    assert.equal(existsSync(join(broker.dataDir, "doomed-0")), false);
    assert.equal(existsSync(join(broker.dataDir, "doomed-1")), false);
    assert.equal((await latest("doomed")).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    await create("doomed");
    assert.equal((await latest("doomed")).offset, 0n);
  });

  it("when several topics are named, then each is answered in order: unknown ones and __consumer_offsets are refused, the rest deleted", async () => {
    await create("also-doomed");
    assert.deepEqual(await deleteTopics("never-was", "__consumer_offsets", "also-doomed"), [
      { name: "never-was", errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
      { name: "__consumer_offsets", errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION },
      { name: "also-doomed", errorCode: ErrorCode.NONE },
    ]);
    const metadata = await client.request(Apis.Metadata, 6, { topics: null, allowAutoTopicCreation: false });
    assert.deepEqual(metadata.topics.map((t) => t.name).sort(), ["__consumer_offsets", "doomed"]);
  });

  it("when the broker restarts, then a deleted topic stays deleted", async () => {
    await create("gone-for-good");
    await deleteTopics("gone-for-good");
    client.close();
    await broker.restart();
    client = await WireClient.connect(broker.address);
    assert.equal((await latest("gone-for-good")).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
