import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { useBroker } from "../../../helpers/broker-process.ts";
import { createTopicsRequest } from "../../../helpers/requests.ts";
import { useWireClient } from "../../../helpers/wire-client.ts";

describe("CreatePartitions", () => {
  const broker = useBroker();
  const client = useWireClient(broker);

  const createPartitions = async (name: string, count: number, validateOnly = false) =>
    (
      await client.request(Apis.CreatePartitions, 1, {
        topics: [{ name, count, assignments: null }],
        timeoutMs: 5000,
        validateOnly,
      })
    ).results[0]!;
  const partitionCount = async (name: string) =>
    (await client.request(Apis.Metadata, 6, { topics: [{ name }], allowAutoTopicCreation: false })).topics[0]!
      .partitions.length;

  before(async () => {
    const created = await client.request(
      Apis.CreateTopics,
      4,
      createTopicsRequest([{ name: "grow-me", numPartitions: 3 }]),
    );
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
  });

  it("when asked for fewer partitions, then INVALID_PARTITIONS says partitions can only be added", async () => {
    const result = await createPartitions("grow-me", 2);
    assert.equal(result.errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.match(result.errorMessage ?? "", /can only be added/);
    assert.equal(await partitionCount("grow-me"), 3);
  });

  it("when asked for the same count, then INVALID_PARTITIONS", async () => {
    assert.equal((await createPartitions("grow-me", 3)).errorCode, ErrorCode.INVALID_PARTITIONS);
  });

  it("when validate-only, then nothing changes", async () => {
    assert.equal((await createPartitions("grow-me", 9, true)).errorCode, ErrorCode.NONE);
    assert.equal(await partitionCount("grow-me"), 3);
  });

  it("when asked for more, then the topic grows and the new partitions take writes", async () => {
    assert.equal((await createPartitions("grow-me", 5)).errorCode, ErrorCode.NONE);
    assert.equal(await partitionCount("grow-me"), 5);
  });

  it("when the topic does not exist, then UNKNOWN_TOPIC_OR_PARTITION", async () => {
    assert.equal((await createPartitions("no-such-topic", 5)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it("when a request would add more than 10,000 partitions, then every topic gets POLICY_VIOLATION and none grows", async () => {
    const result = await createPartitions("grow-me", 0x10000000);
    assert.equal(result.errorCode, ErrorCode.POLICY_VIOLATION);
    assert.match(result.errorMessage ?? "", /Excessively large number of partitions per request/);
    await client.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "grow-me-too", numPartitions: 1 }]));
    const many = await client.request(Apis.CreatePartitions, 1, {
      topics: [
        { name: "grow-me", count: 6_000, assignments: null },
        { name: "grow-me-too", count: 6_000, assignments: null },
      ],
      timeoutMs: 5000,
      validateOnly: true,
    });
    assert.deepEqual(
      many.results.map((r) => r.errorCode),
      [ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION],
    );
    assert.equal(await partitionCount("grow-me"), 5);
  });
});
