import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { GroupCoordinator } from "../../../../broker/server/groups/coordinator.ts";
import { offsetsPartitionFor } from "../../../../broker/server/groups/group-metadata-manager.ts";
import type { OffsetCommitRequest, OffsetToCommit } from "../../../../broker/server/groups/types.ts";
import { consumerJoin, MemoryOffsetsLog, settle, startCoordinator } from "./helpers.ts";

function offset(partition: number, value: bigint, metadata: string | null = null): OffsetToCommit {
  return { topic: "sales", partition, offset: value, leaderEpoch: 4, metadata };
}

function commit(overrides: Partial<OffsetCommitRequest>): OffsetCommitRequest {
  return { groupId: "orders", generationId: -1, memberId: "", offsets: [offset(0, 10n)], ...overrides };
}

function errorCodes(results: { errorCode: number }[]): number[] {
  return results.map((result) => result.errorCode);
}

/** A group with one member in generation 1, left in CompletingRebalance (no SyncGroup yet). */
async function groupAwaitingSync(coordinator: GroupCoordinator) {
  const joined = await coordinator.join(consumerJoin({ requireKnownMemberId: false }));
  assert.equal(joined.generationId, 1);
  return joined.memberId;
}

describe("offset commit validation", () => {
  it("when a standalone consumer commits with generation -1 and no member, then it is accepted on an unknown or empty group", async () => {
    const { coordinator } = await startCoordinator();
    assert.deepEqual(await coordinator.commitOffsets(commit({})), [
      { topic: "sales", partition: 0, errorCode: ErrorCode.NONE },
    ]);
    assert.deepEqual((await coordinator.list()).groups, [{ groupId: "orders", protocolType: "", state: "Empty" }]);
    assert.deepEqual(errorCodes(await coordinator.commitOffsets(commit({ offsets: [offset(0, 11n)] }))), [
      ErrorCode.NONE,
    ]);

    const memberId = await groupAwaitingSync(coordinator);
    await coordinator.leave({ groupId: "orders", members: [{ memberId, groupInstanceId: null }] });
    assert.deepEqual(
      errorCodes(await coordinator.commitOffsets(commit({ offsets: [offset(0, 12n)] }))),
      [ErrorCode.NONE],
      "an emptied group accepts it too",
    );
    await coordinator.close();
  });

  it("when a commit names a generation or member on an unknown group, then it is refused", async () => {
    const { coordinator } = await startCoordinator();
    assert.deepEqual(errorCodes(await coordinator.commitOffsets(commit({ generationId: 3 }))), [
      ErrorCode.ILLEGAL_GENERATION,
    ]);
    assert.deepEqual(errorCodes(await coordinator.commitOffsets(commit({ memberId: "ghost" }))), [
      ErrorCode.UNKNOWN_MEMBER_ID,
    ]);
    assert.deepEqual((await coordinator.list()).groups, []);
    await coordinator.close();
  });

  it("when a group has members, then commits need the current member and generation, and wait out the sync phase", async () => {
    const { coordinator } = await startCoordinator();
    const memberId = await groupAwaitingSync(coordinator);

    assert.deepEqual(errorCodes(await coordinator.commitOffsets(commit({ generationId: 1, memberId }))), [
      ErrorCode.REBALANCE_IN_PROGRESS,
    ]);
    await coordinator.sync({ groupId: "orders", generationId: 1, memberId, assignments: [] });

    assert.deepEqual(errorCodes(await coordinator.commitOffsets(commit({ generationId: 1, memberId }))), [
      ErrorCode.NONE,
    ]);
    assert.deepEqual(errorCodes(await coordinator.commitOffsets(commit({ generationId: 0, memberId }))), [
      ErrorCode.ILLEGAL_GENERATION,
    ]);
    assert.deepEqual(errorCodes(await coordinator.commitOffsets(commit({ generationId: 1, memberId: "ghost" }))), [
      ErrorCode.UNKNOWN_MEMBER_ID,
    ]);
    assert.deepEqual(
      errorCodes(await coordinator.commitOffsets(commit({}))),
      [ErrorCode.UNKNOWN_MEMBER_ID],
      "no member on a non-empty group",
    );

    // A newcomer puts the group into PreparingRebalance: the current generation may still commit.
    void coordinator.join(consumerJoin({ requireKnownMemberId: false }));
    await settle();
    assert.equal((await coordinator.describe(["orders"]))[0]!.state, "PreparingRebalance");
    assert.deepEqual(errorCodes(await coordinator.commitOffsets(commit({ generationId: 1, memberId }))), [
      ErrorCode.NONE,
    ]);

    await coordinator.join(consumerJoin({ memberId }));
    assert.equal((await coordinator.describe(["orders"]))[0]!.state, "CompletingRebalance");
    assert.deepEqual(errorCodes(await coordinator.commitOffsets(commit({ generationId: 2, memberId }))), [
      ErrorCode.REBALANCE_IN_PROGRESS,
    ]);
    await coordinator.close();
  });

  it("when some partitions of a commit are invalid, then only those fail", async () => {
    const { coordinator } = await startCoordinator({
      config: { offsetMetadataMaxBytes: 8 },
      partitionExists: (topic, partition) => topic === "sales" && partition < 2,
    });
    const results = await coordinator.commitOffsets(
      commit({ offsets: [offset(0, 5n, "12345678"), offset(1, 6n, "123456789"), offset(2, 7n)] }),
    );
    assert.deepEqual(errorCodes(results), [
      ErrorCode.NONE,
      ErrorCode.OFFSET_METADATA_TOO_LARGE,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    const fetched = await coordinator.fetchOffsets("orders", [{ topic: "sales", partitions: [0, 1, 2] }]);
    assert.deepEqual(
      fetched.topics[0]!.partitions.map((partition) => partition.offset),
      [5n, -1n, -1n],
    );
    await coordinator.close();
  });

  it("when the log append fails, then the commit answers COORDINATOR_NOT_AVAILABLE and nothing is remembered", async () => {
    const log = new MemoryOffsetsLog();
    const { coordinator } = await startCoordinator({ log });
    log.failAppends = true;
    assert.deepEqual(errorCodes(await coordinator.commitOffsets(commit({}))), [ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    const fetched = await coordinator.fetchOffsets("orders", null);
    assert.deepEqual(fetched, { errorCode: ErrorCode.NONE, topics: [] });
    await coordinator.close();
  });

  it("when the replicated append fails, then the commit answers as Kafka maps the append's error", async () => {
    const log = new MemoryOffsetsLog();
    const { coordinator } = await startCoordinator({ log });
    const answers: [number, number][] = [
      // This broker no longer leads the group's partition: the client must find the coordinator again.
      [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_COORDINATOR],
      [ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.NOT_COORDINATOR],
      // Too few replicas, or they were too slow: retriable at the same coordinator.
      [ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.COORDINATOR_NOT_AVAILABLE],
      [ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.COORDINATOR_NOT_AVAILABLE],
      [ErrorCode.REQUEST_TIMED_OUT, ErrorCode.COORDINATOR_NOT_AVAILABLE],
      [ErrorCode.RECORD_LIST_TOO_LARGE, ErrorCode.INVALID_COMMIT_OFFSET_SIZE],
    ];
    for (const [appendError, commitError] of answers) {
      log.failAppendsWith = appendError;
      assert.deepEqual(errorCodes(await coordinator.commitOffsets(commit({}))), [commitError], `append ${appendError}`);
    }
    assert.deepEqual(await coordinator.fetchOffsets("orders", null), { errorCode: ErrorCode.NONE, topics: [] });
    await coordinator.close();
  });

  it("when a member commits, then that counts as a heartbeat for its session", async () => {
    const { coordinator, scheduler } = await startCoordinator();
    const memberId = await groupAwaitingSync(coordinator);
    await coordinator.sync({ groupId: "orders", generationId: 1, memberId, assignments: [] });
    for (let elapsed = 0; elapsed < 30_000; elapsed += 5_000) {
      await scheduler.advance(5_000);
      assert.deepEqual(errorCodes(await coordinator.commitOffsets(commit({ generationId: 1, memberId }))), [
        ErrorCode.NONE,
      ]);
    }
    await scheduler.advance(10_000);
    assert.equal(
      (await coordinator.describe(["orders"]))[0]!.state,
      "Empty",
      "without commits or heartbeats it expires",
    );
    await coordinator.close();
  });
});

describe("offset fetch and persistence", () => {
  it("when offsets are fetched, then never-committed partitions answer -1 and null asks for every committed partition", async () => {
    const { coordinator } = await startCoordinator();
    await coordinator.commitOffsets(
      commit({ offsets: [offset(3, 30n, "note"), offset(1, 10n), { ...offset(0, 1n), topic: "refunds" }] }),
    );

    const some = await coordinator.fetchOffsets("orders", [{ topic: "sales", partitions: [1, 2] }]);
    assert.deepEqual(some, {
      errorCode: ErrorCode.NONE,
      topics: [
        {
          topic: "sales",
          partitions: [
            { partition: 1, offset: 10n, leaderEpoch: 4, metadata: "", errorCode: ErrorCode.NONE },
            { partition: 2, offset: -1n, leaderEpoch: -1, metadata: "", errorCode: ErrorCode.NONE },
          ],
        },
      ],
    });
    const all = await coordinator.fetchOffsets("orders", null);
    assert.deepEqual(
      all.topics.map((topic) => [
        topic.topic,
        topic.partitions.map((partition) => [partition.partition, partition.offset, partition.metadata]),
      ]),
      [
        [
          "sales",
          [
            [1, 10n, ""],
            [3, 30n, "note"],
          ],
        ],
        ["refunds", [[0, 1n, ""]]],
      ],
    );
    assert.deepEqual(await coordinator.fetchOffsets("unknown-group", null), { errorCode: ErrorCode.NONE, topics: [] });
    await coordinator.close();
  });

  it("when a fresh coordinator loads the same log, then it fetches the same offsets and knows the group", async () => {
    const log = new MemoryOffsetsLog();
    const before = await startCoordinator({ log });
    await before.coordinator.commitOffsets(commit({ offsets: [offset(0, 10n, "first"), offset(1, 20n)] }));
    await before.coordinator.commitOffsets(commit({ offsets: [offset(0, 15n, "second")] }));
    await before.coordinator.commitOffsets(commit({ groupId: "audit", offsets: [offset(0, 99n)] }));
    const query = [{ topic: "sales", partitions: [0, 1, 2] }];
    const expected = await before.coordinator.fetchOffsets("orders", query);
    await before.coordinator.close();

    const after = await startCoordinator({ log });
    assert.deepEqual(await after.coordinator.fetchOffsets("orders", query), expected);
    assert.equal(expected.topics[0]!.partitions[0]!.offset, 15n);
    assert.deepEqual((await after.coordinator.list()).groups.map((group) => group.groupId).sort(), ["audit", "orders"]);
    const records = log.partitions.get(offsetsPartitionFor("orders", 50))!;
    assert.equal(records.length, 3, "each commit appends one record per partition to the group's partition");
    await after.coordinator.close();
  });
});

describe("transactional offset commits (TxnOffsetCommit)", () => {
  const producer = { producerId: 42n, producerEpoch: 0 };

  it("when a producer commits offsets, then they show only after its COMMIT marker reaches the group's partition", async () => {
    const { coordinator, log } = await startCoordinator();
    assert.deepEqual(errorCodes(await coordinator.commitTransactionalOffsets({ ...commit({}), ...producer })), [
      ErrorCode.NONE,
    ]);
    assert.equal(log.allRecords()[0]?.producerId, 42n, "written in the producer's transaction");
    const fetched = async () =>
      (await coordinator.fetchOffsets("orders", [{ topic: "sales", partitions: [0] }])).topics[0]!.partitions[0]!
        .offset;
    assert.equal(await fetched(), -1n);
    await coordinator.onTransactionCompleted(offsetsPartitionFor("orders", 50), 42n, true);
    assert.equal(await fetched(), 10n);
    await coordinator.close();
  });

  it("when the commit names a member or generation the group does not have, then UNKNOWN_MEMBER_ID or ILLEGAL_GENERATION", async () => {
    const { coordinator } = await startCoordinator();
    const memberId = await groupAwaitingSync(coordinator);
    assert.deepEqual(
      errorCodes(
        await coordinator.commitTransactionalOffsets({
          ...commit({ memberId: "stranger", generationId: 1 }),
          ...producer,
        }),
      ),
      [ErrorCode.UNKNOWN_MEMBER_ID],
    );
    assert.deepEqual(
      errorCodes(
        await coordinator.commitTransactionalOffsets({ ...commit({ memberId, generationId: 7 }), ...producer }),
      ),
      [ErrorCode.ILLEGAL_GENERATION],
    );
    assert.deepEqual(
      errorCodes(
        await coordinator.commitTransactionalOffsets({ ...commit({ memberId, generationId: 1 }), ...producer }),
      ),
      [ErrorCode.NONE],
    );
    await coordinator.close();
  });

  it("when the partition refuses the producer's epoch, then INVALID_PRODUCER_EPOCH reaches the client", async () => {
    const log = new MemoryOffsetsLog();
    const { coordinator } = await startCoordinator({ log });
    log.failAppendsWith = ErrorCode.INVALID_PRODUCER_EPOCH;
    assert.deepEqual(errorCodes(await coordinator.commitTransactionalOffsets({ ...commit({}), ...producer })), [
      ErrorCode.INVALID_PRODUCER_EPOCH,
    ]);
    await coordinator.close();
  });
});
