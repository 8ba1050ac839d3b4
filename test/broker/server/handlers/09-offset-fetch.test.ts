import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { createTopicsRequest } from "../../../helpers/requests.ts";
import { routedBroker, useRoutedBroker } from "../broker-state-fixture.ts";
import { offsetCommitRequest } from "./group-requests.ts";

describe("OffsetFetch", () => {
  const broker = useRoutedBroker();
  before(async () => {
    await broker.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "sales", numPartitions: 3 }]));
    const commit = await broker.request(
      Apis.OffsetCommit,
      7,
      offsetCommitRequest("reader", {
        sales: [
          [0, 11n, "zero"],
          [2, 33n, "two"],
        ],
      }),
    );
    assert.deepEqual(
      commit?.topics[0]?.partitions.map((p) => p.errorCode),
      [ErrorCode.NONE, ErrorCode.NONE],
    );
  });

  it("when partitions are named, then each gets its committed offset and metadata, and -1 where nothing was committed", async () => {
    const response = await broker.request(Apis.OffsetFetch, 5, {
      groupId: "reader",
      topics: [{ name: "sales", partitionIndexes: [2, 1, 0] }],
    });
    assert.equal(response?.errorCode, ErrorCode.NONE);
    assert.deepEqual(
      response?.topics[0]?.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode]),
      [
        [2, 33n, "two", ErrorCode.NONE],
        [1, -1n, "", ErrorCode.NONE],
        [0, 11n, "zero", ErrorCode.NONE],
      ],
    );
  });

  it("when no topics are named (v2 and later), then every partition the group committed", async () => {
    const response = await broker.request(Apis.OffsetFetch, 5, { groupId: "reader", topics: null });
    assert.deepEqual(
      response?.topics
        .flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}@${p.committedOffset}`))
        .sort(),
      ["sales-0@11", "sales-2@33"],
    );
  });

  it("when the group never committed, then every named partition answers -1", async () => {
    const response = await broker.request(Apis.OffsetFetch, 1, {
      groupId: "newcomer",
      topics: [{ name: "sales", partitionIndexes: [0, 1] }],
    });
    assert.deepEqual(
      response?.topics[0]?.partitions.map((p) => [p.committedOffset, p.errorCode]),
      [
        [-1n, ErrorCode.NONE],
        [-1n, ErrorCode.NONE],
      ],
    );
  });
});

describe("OffsetFetch from a coordinator that stopped", () => {
  it("when answered with v1, which has no top-level error, then every named partition carries the coordinator's error; v2 and later answer it at the top", async (t) => {
    const broker = await routedBroker();
    t.after(() => broker.cleanup());
    await broker.state.groups.close();
    const topics = [{ name: "sales", partitionIndexes: [0, 1] }];

    const v1 = await broker.request(Apis.OffsetFetch, 1, { groupId: "reader", topics });
    assert.deepEqual(
      v1?.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.errorCode])]),
      [
        [
          "sales",
          [
            [0, -1n, ErrorCode.NOT_COORDINATOR],
            [1, -1n, ErrorCode.NOT_COORDINATOR],
          ],
        ],
      ],
    );
    const v5 = await broker.request(Apis.OffsetFetch, 5, { groupId: "reader", topics });
    assert.equal(v5?.errorCode, ErrorCode.NOT_COORDINATOR);
    assert.deepEqual(v5?.topics, []);
  });
});

describe("OffsetFetch v8 and v9 (groups in a batch, member epochs)", () => {
  const broker = useRoutedBroker();
  before(async () => {
    await broker.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "sales", numPartitions: 1 }]));
    await broker.request(Apis.OffsetCommit, 9, offsetCommitRequest("batch-a", { sales: [[0, 5n, "a"]] }));
  });

  it("when several groups are asked for, then each answers with its own offsets and error code", async () => {
    const response = await broker.request(Apis.OffsetFetch, 8, {
      groupId: "",
      topics: [],
      groups: [
        { groupId: "batch-a", memberId: null, memberEpoch: -1, topics: null },
        { groupId: "batch-b", memberId: null, memberEpoch: -1, topics: [{ name: "sales", partitionIndexes: [0] }] },
      ],
      requireStable: false,
    });
    assert.deepEqual(
      response?.groups?.map((g) => [
        g.groupId,
        g.errorCode,
        g.topics.map((t) => t.partitions.map((p) => p.committedOffset)),
      ]),
      [
        ["batch-a", ErrorCode.NONE, [[5n]]],
        ["batch-b", ErrorCode.NONE, [[-1n]]],
      ],
    );
  });

  it("when v9 names a member of a consumer-protocol group with an old epoch, then STALE_MEMBER_EPOCH", async () => {
    const joined = await broker.request(Apis.ConsumerGroupHeartbeat, 1, {
      groupId: "batch-kip848",
      memberId: "member-a",
      memberEpoch: 0,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ["sales"],
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: [],
    });
    const fetchAt = async (memberEpoch: number) =>
      (
        await broker.request(Apis.OffsetFetch, 9, {
          groupId: "",
          topics: [],
          groups: [{ groupId: "batch-kip848", memberId: "member-a", memberEpoch, topics: null }],
          requireStable: false,
        })
      )?.groups?.[0]?.errorCode;
    assert.equal(await fetchAt(joined!.memberEpoch), ErrorCode.NONE);
    assert.equal(await fetchAt(joined!.memberEpoch - 1), ErrorCode.STALE_MEMBER_EPOCH);
  });
});
