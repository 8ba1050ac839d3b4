import assert from "node:assert/strict";
import { realpathSync } from "node:fs";
import { before, describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import { useBroker } from "../../../helpers/broker-process.ts";
import { createTopicsRequest, produceRequest } from "../../../helpers/requests.ts";
import { useWireClient } from "../../../helpers/wire-client.ts";

describe("DescribeLogDirs", () => {
  const broker = useBroker();
  const client = useWireClient(broker);

  before(async () => {
    await client.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "dirs-a", numPartitions: 2 }]));
    await client.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "dirs-b", numPartitions: 1 }]));
    const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from("on disk"), timestamp: 1n }] });
    await client.request(Apis.Produce, 7, produceRequest("dirs-a", [{ index: 1, records }]));
  });

  it("when topics is null, then the one log dir with every partition, its size on disk and no lag", async () => {
    const response = await client.request(Apis.DescribeLogDirs, 4, { topics: null });
    assert.equal(response.errorCode, ErrorCode.NONE);
    assert.equal(response.results.length, 1);
    const dir = response.results[0]!;
    assert.equal(dir.errorCode, ErrorCode.NONE);
    assert.equal(realpathSync(dir.logDir), realpathSync(broker.dataDir));
    assert.ok(dir.totalBytes! > 0n && dir.usableBytes! > 0n && dir.usableBytes! <= dir.totalBytes!);
    const a = dir.topics.find((t) => t.name === "dirs-a")!;
    assert.deepEqual(
      a.partitions.map((p) => [p.partitionIndex, p.offsetLag, p.isFutureKey]),
      [
        [0, 0n, false],
        [1, 0n, false],
      ],
    );
    assert.equal(a.partitions[0]!.partitionSize, 0n);
    assert.ok(a.partitions[1]!.partitionSize > 0n);
    assert.ok(dir.topics.some((t) => t.name === "dirs-b"));
  });

  it("when topics are named, then only their hosted partitions asked for; unknown ones are left out", async () => {
    const response = await client.request(Apis.DescribeLogDirs, 1, {
      topics: [
        { topic: "dirs-a", partitions: [1, 9] },
        { topic: "no-such-topic", partitions: [0] },
      ],
    });
    const topics = response.results[0]!.topics;
    assert.deepEqual(
      topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]),
      [["dirs-a", [1]]],
    );
  });
});
