import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type {
  ListOffsetsRequest,
  ListOffsetsResponse,
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponse,
} from "../../../../broker/protocol/messages/index.ts";
import { silentLogger } from "../../../../broker/server/logger.ts";
import type { LeaderEndpoint } from "../../../../broker/server/replication/leader-endpoint.ts";
import { OffsetTruncation, truncationOffset } from "../../../../broker/server/replication/offset-truncation.ts";
import {
  type PartitionFetchState,
  PartitionFetchStates,
} from "../../../../broker/server/replication/partition-fetch-state.ts";
import type { PartitionLog } from "../../../../broker/storage/partition-log.ts";
import { batchOfSize } from "../../storage/batch-builder.ts";
import { replicatedPartition } from "./partition-state-fixture.ts";

/** A leader whose answers the test sets: epoch ends for OffsetForLeaderEpoch, offsets by timestamp for ListOffsets. */
class AnsweringLeader implements LeaderEndpoint {
  readonly brokerId = 0;
  epochEnd: { errorCode: number; leaderEpoch?: number; endOffset?: bigint } = { errorCode: ErrorCode.NONE };
  offsets = new Map<bigint, bigint>();
  /** Runs while a request is out, before it is answered (the fetcher's partitions may change meanwhile). */
  meanwhile: () => void = () => {};
  readonly asked: OffsetForLeaderEpochRequest[] = [];

  async offsetsForLeaderEpoch(request: OffsetForLeaderEpochRequest): Promise<OffsetForLeaderEpochResponse> {
    this.asked.push(request);
    this.meanwhile();
    return {
      throttleTimeMs: 0,
      topics: request.topics.map(({ topic, partitions }) => ({
        topic,
        partitions: partitions.map(({ partition }) => ({ partition, ...this.epochEnd })),
      })),
    };
  }

  async listOffsets(request: ListOffsetsRequest): Promise<ListOffsetsResponse> {
    this.meanwhile();
    return {
      topics: request.topics.map(({ name, partitions }) => ({
        name,
        partitions: partitions.map(({ partitionIndex, timestamp }) => {
          const offset = this.offsets.get(timestamp);
          return offset === undefined
            ? { partitionIndex, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }
            : { partitionIndex, errorCode: ErrorCode.NONE, offset };
        }),
      })),
    };
  }

  fetch(): never {
    throw new Error("truncation does not fetch");
  }

  close(): void {}
}

/** Follower broker 1's replica of sales-0 at leader epoch 5, its log written with batches of the given epochs, and a truncation over it. */
function follower(t: TestContext, epochs: [epoch: number, count: number][]) {
  const replica = replicatedPartition(t, { localBrokerId: 1 });
  writeEpochs(replica.partition.log, epochs);
  replica.state.makeFollower({ leader: 0, leaderEpoch: 5, partitionEpoch: 0, replicas: [0, 1] });
  const leader = new AnsweringLeader();
  const states = new PartitionFetchStates(1000);
  const fenced: PartitionFetchState[] = [];
  const truncation = new OffsetTruncation(
    1,
    leader,
    (topic, index) => (topic === "sales" && index === 0 ? replica.state : undefined),
    states,
    silentLogger,
    (state) => fenced.push(state),
  );
  states.add("sales", 0, 5, replica.partition.highWatermark);
  const entry = () => states.get("sales", 0)!;
  return { replica, leader, states, truncation, fenced, entry };
}

function writeEpochs(log: PartitionLog, epochs: [epoch: number, count: number][]): void {
  for (const [epoch, count] of epochs)
    log.appendAsFollower(batchOfSize(count, 10, { baseOffset: log.logEndOffset, partitionLeaderEpoch: epoch }));
}

describe("truncationOffset", () => {
  const local = (entries: Record<number, [number, bigint]>, logEndOffset: bigint) => ({
    endOffsetForEpoch: (epoch: number) => {
      const [found, endOffset] = entries[epoch] ?? [-1, -1n];
      return { epoch: found, endOffset };
    },
    logEndOffset,
  });

  it("when the leader knows no end for the epoch, then the fetch offset (the high watermark)", () => {
    assert.deepEqual(truncationOffset({ leaderEpoch: -1, endOffset: -1n }, local({}, 9n), 4n), {
      offset: 4n,
      completed: true,
    });
  });

  it("when both logs have the epoch, then the smaller of their ends and this log's end", () => {
    assert.deepEqual(truncationOffset({ leaderEpoch: 2, endOffset: 7n }, local({ 2: [2, 9n] }, 12n), 0n), {
      offset: 7n,
      completed: true,
    });
    assert.deepEqual(truncationOffset({ leaderEpoch: 2, endOffset: 20n }, local({ 2: [2, 9n] }, 12n), 0n), {
      offset: 9n,
      completed: true,
    });
  });

  it("when this log lacks the leader's epoch, then the end of its largest smaller epoch, and another round", () => {
    assert.deepEqual(truncationOffset({ leaderEpoch: 3, endOffset: 10n }, local({ 3: [1, 6n] }, 8n), 0n), {
      offset: 6n,
      completed: false,
    });
  });
});

describe("OffsetTruncation", () => {
  it("when the leader's epoch ends inside this log, then the log is cut there and the partition fetches from the cut", async (t) => {
    const { replica, leader, truncation, entry } = follower(t, [
      [1, 3],
      [2, 4],
    ]);
    leader.epochEnd = { errorCode: ErrorCode.NONE, leaderEpoch: 2, endOffset: 5n };

    await truncation.truncate([entry()]);
    assert.deepEqual(leader.asked[0]?.topics, [
      { topic: "sales", partitions: [{ partition: 0, currentLeaderEpoch: 5, leaderEpoch: 2 }] },
    ]);
    assert.equal(replica.partition.log.logEndOffset, 5n);
    assert.equal(entry().status, "fetching");
    assert.equal(entry().fetchOffset, 5n);
  });

  it("when the leader names an epoch this log lacks, then it cuts to its largest smaller epoch and truncates again", async (t) => {
    const { replica, leader, truncation, entry } = follower(t, [
      [1, 3],
      [3, 4],
    ]);
    leader.epochEnd = { errorCode: ErrorCode.NONE, leaderEpoch: 2, endOffset: 6n };

    await truncation.truncate([entry()]);
    assert.equal(replica.partition.log.logEndOffset, 3n);
    assert.equal(entry().status, "truncating");
  });

  it("when the log has no epochs, then it is cut at the high watermark without asking the leader", async (t) => {
    const { leader, truncation, entry } = follower(t, []);
    await truncation.truncate([entry()]);
    assert.equal(leader.asked.length, 0);
    assert.equal(entry().status, "fetching");
    assert.equal(entry().fetchOffset, 0n);
  });

  it("when the leader is at a newer epoch, then the partition is handed back as fenced", async (t) => {
    const { leader, truncation, fenced, entry } = follower(t, [[1, 3]]);
    leader.epochEnd = { errorCode: ErrorCode.FENCED_LEADER_EPOCH };
    const sent = entry();
    await truncation.truncate([sent]);
    assert.deepEqual(fenced, [sent]);
  });

  it("when the leader refuses, then the partition is held back and keeps truncating", async (t) => {
    const { replica, leader, truncation, entry } = follower(t, [[1, 3]]);
    leader.epochEnd = { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    await truncation.truncate([entry()]);
    assert.ok(entry().delayedUntil > 0);
    assert.equal(entry().status, "truncating");
    assert.equal(replica.partition.log.logEndOffset, 3n);
  });

  it("when the partition starts over while the request is out, then the answer is ignored", async (t) => {
    const { replica, leader, states, truncation, entry } = follower(t, [[1, 3]]);
    leader.epochEnd = { errorCode: ErrorCode.NONE, leaderEpoch: 1, endOffset: 1n };
    leader.meanwhile = () => {
      states.remove("sales", 0);
      states.add("sales", 0, 6, 0n);
    };
    await truncation.truncate([entry()]);
    assert.equal(replica.partition.log.logEndOffset, 3n);
    assert.equal(entry().currentLeaderEpoch, 6);
    assert.equal(entry().delayedUntil, 0);
  });

  it("when the leader's log ends before this one (out of range), then this log is cut to the leader's end", async (t) => {
    const { replica, leader, states, truncation, entry } = follower(t, [[1, 6]]);
    states.replace(entry(), { status: "fetching", fetchOffset: 6n });
    leader.offsets.set(-1n, 4n);
    await truncation.handleOutOfRange(entry(), replica.state);
    assert.equal(replica.partition.log.logEndOffset, 4n);
    assert.equal(entry().fetchOffset, 4n);
    assert.equal(entry().status, "fetching");
  });

  it("when the leader's log starts after this one ends (out of range), then this log starts over at the leader's start", async (t) => {
    const { replica, leader, states, truncation, entry } = follower(t, [[1, 2]]);
    states.replace(entry(), { status: "fetching", fetchOffset: 2n });
    leader.offsets.set(-1n, 30n);
    leader.offsets.set(-2n, 20n);
    await truncation.handleOutOfRange(entry(), replica.state);
    assert.equal(replica.partition.logStartOffset, 20n);
    assert.equal(replica.partition.log.logEndOffset, 20n);
    assert.equal(entry().fetchOffset, 20n);
  });

  it("when the leader cannot say its offsets (out of range), then the partition is held back and its log left alone", async (t) => {
    const { replica, states, truncation, entry } = follower(t, [[1, 2]]);
    states.replace(entry(), { status: "fetching", fetchOffset: 2n });
    await truncation.handleOutOfRange(entry(), replica.state);
    assert.ok(entry().delayedUntil > 0);
    assert.equal(replica.partition.log.logEndOffset, 2n);
  });
});
