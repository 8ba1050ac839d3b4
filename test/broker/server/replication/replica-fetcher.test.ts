import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import type { BrokerState } from "../../../../broker/server/broker-state.ts";
import { fetchHandler } from "../../../../broker/server/handlers/01-fetch.ts";
import { listOffsetsHandler } from "../../../../broker/server/handlers/02-list-offsets.ts";
import { offsetForLeaderEpochHandler } from "../../../../broker/server/handlers/23-offset-for-leader-epoch.ts";
import type { Handler } from "../../../../broker/server/handlers/handler.ts";
import { type Logger, silentLogger } from "../../../../broker/server/logger.ts";
import type { LeaderEndpoint } from "../../../../broker/server/replication/leader-endpoint.ts";
import type { PartitionState } from "../../../../broker/server/replication/partition-state.ts";
import { ReplicaFetcher } from "../../../../broker/server/replication/replica-fetcher.ts";
import type { FileSystem } from "../../../../broker/storage/file-system.ts";
import type { PartitionLog } from "../../../../broker/storage/partition-log.ts";
import { waitFor } from "../../../helpers/wait.ts";
import { batchOfSize } from "../../storage/batch-builder.ts";
import { FaultyFileSystem } from "../../storage/faulty-file-system.ts";
import { records, replicatedPartition } from "./partition-state-fixture.ts";

/** The leader's real handlers, called in-process: what a follower's requests would reach over TCP. */
class LoopbackEndpoint implements LeaderEndpoint {
  readonly brokerId = 0;
  failuresLeft = 0;
  readonly calls: string[] = [];
  readonly #context: { broker: BrokerState; apiVersion: number; clientId: string; clientHost: string };

  constructor(leader: PartitionState) {
    const topics = {
      partition: (topic: string, index: number) => (topic === "sales" && index === 0 ? leader.partition : undefined),
    };
    this.#context = { broker: { topics } as unknown as BrokerState, apiVersion: 12, clientId: "test", clientHost: "" };
  }

  fetch = this.#call("Fetch", fetchHandler);
  offsetsForLeaderEpoch = this.#call("OffsetForLeaderEpoch", offsetForLeaderEpochHandler);
  listOffsets = this.#call("ListOffsets", listOffsetsHandler);

  close(): void {}

  /** Resolves once every request made so far has been answered. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  readonly #inFlight = new Set<Promise<unknown>>();

  #call<Req, Res>(name: string, handler: Handler<Req, Res>): (request: Req) => Promise<Res> {
    return (request) => {
      const call = (async () => {
        this.calls.push(name);
        if (this.failuresLeft > 0) {
          this.failuresLeft -= 1;
          throw new Error("connection refused");
        }
        const response = await handler.handle(request, this.#context);
        if (response === null) throw new Error("no response");
        return response;
      })();
      this.#inFlight.add(call);
      void call.finally(() => this.#inFlight.delete(call)).catch(() => {});
      return call;
    };
  }
}

/** Leader broker 0 and follower broker 1 of sales-0, each on its own log; the follower's fetcher runs until the test ends. */
function leaderAndFollower(
  t: TestContext,
  leaderEpoch: number,
  { followerFs, log = silentLogger }: { followerFs?: FileSystem; log?: Logger } = {},
) {
  // Registered first so that it runs first: the loop and the leader's parked fetch end before the logs close.
  t.after(async () => {
    await fetcher.stop();
    await endpoint.settled();
  });
  const leader = replicatedPartition(t, { localBrokerId: 0 });
  const follower = replicatedPartition(t, { localBrokerId: 1, fs: followerFs });
  const endpoint = new LoopbackEndpoint(leader.state);
  const fetcher = new ReplicaFetcher(
    1,
    endpoint,
    { replica: (topic, index) => (topic === "sales" && index === 0 ? follower.state : undefined) },
    { maxWaitMs: 10, minBytes: 1, maxBytes: 1 << 20, partitionMaxBytes: 1 << 20, backoffMs: 5 },
    log,
  );
  const follow = () => {
    follower.state.makeFollower({ leader: 0, leaderEpoch, partitionEpoch: 0, replicas: [0, 1] });
    fetcher.addPartitions([
      { topic: "sales", partition: 0, currentLeaderEpoch: leaderEpoch, initOffset: follower.partition.highWatermark },
    ]);
    fetcher.start();
  };
  return { leader, follower, endpoint, fetcher, follow };
}

/** Stores batches of the given epochs as a follower would, `counts[i]` records in the i-th. */
function writeEpochs(log: PartitionLog, epochs: [epoch: number, count: number][]): void {
  for (const [epoch, count] of epochs)
    log.appendAsFollower(batchOfSize(count, 10, { baseOffset: log.logEndOffset, partitionLeaderEpoch: epoch }));
}

function logBytes(log: PartitionLog, from = log.logStartOffset): Buffer {
  const read = log.read(from, 1 << 30, true);
  return read.kind === "records" ? Buffer.concat(read.chunks) : Buffer.alloc(0);
}

describe("ReplicaFetcher", () => {
  it("when the follower's latest epoch is unknown to the leader, then it truncates in rounds to the largest common epoch and ends identical", async (t) => {
    const { leader, follower, follow } = leaderAndFollower(t, 4);
    writeEpochs(leader.partition.log, [
      [0, 3],
      [1, 4],
    ]);
    leader.state.makeLeader({ leaderEpoch: 4, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
    leader.state.appendAsLeader(records(2), 1);
    writeEpochs(follower.partition.log, [
      [0, 3],
      [2, 3],
      [3, 2],
    ]);

    follow();
    await waitFor(() => follower.partition.log.logEndOffset === leader.partition.log.logEndOffset);
    assert.deepEqual(logBytes(follower.partition.log), logBytes(leader.partition.log));
    assert.deepEqual(follower.partition.log.epochEntries, leader.partition.log.epochEntries);
    await waitFor(() => follower.partition.highWatermark === 9n, { message: "the follower learns the high watermark" });
  });

  it("when the follower's log ends before the leader's starts, then OFFSET_OUT_OF_RANGE makes it start over at the leader's start", async (t) => {
    const { leader, follower, endpoint, follow } = leaderAndFollower(t, 0);
    leader.partition.truncateFullyAndStartAt(10n);
    leader.state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
    leader.state.appendAsLeader(records(3), 1);

    follow();
    await waitFor(() => follower.partition.log.logEndOffset === 13n);
    assert.equal(follower.partition.logStartOffset, 10n);
    assert.ok(endpoint.calls.includes("ListOffsets"));
    assert.deepEqual(logBytes(follower.partition.log), logBytes(leader.partition.log));
  });

  it("when the leader deletes records (DeleteRecords), then the follower moves its log start offset to the leader's from the fetch answers", async (t) => {
    const { leader, follower, follow } = leaderAndFollower(t, 0);
    leader.state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
    leader.state.appendAsLeader(records(3), 1);
    leader.state.appendAsLeader(records(3), 1);

    follow();
    await waitFor(() => leader.partition.highWatermark === 6n && follower.partition.highWatermark === 6n);
    assert.deepEqual(leader.state.deleteRecordsOnLeader(4n), { errorCode: 0, lowWatermark: 4n });
    await waitFor(() => follower.partition.logStartOffset === 4n, {
      message: "the follower learns the leader's log start offset",
    });
    assert.equal(follower.partition.log.read(3n, 1000).kind, "offset-out-of-range");
  });

  it("when the leader's log ends before the follower's high watermark (an unclean election), then the follower truncates to the leader's end and fetches on from there", async (t) => {
    const { leader, follower, follow } = leaderAndFollower(t, 3);
    writeEpochs(leader.partition.log, [[1, 2]]);
    leader.state.makeLeader({ leaderEpoch: 3, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
    writeEpochs(follower.partition.log, [[2, 5]]);
    follower.state.makeFollower({ leader: 0, leaderEpoch: 2, partitionEpoch: 0, replicas: [0, 1] });
    follower.state.updateFollowerHighWatermark(5n);

    follow();
    await waitFor(() => follower.partition.log.logEndOffset === 2n);
    // Kafka's follower keeps what remains below the cut; the unclean election already lost data.
    leader.state.appendAsLeader(records(1), 1);
    await waitFor(() => follower.partition.log.logEndOffset === 3n);
    assert.deepEqual(logBytes(follower.partition.log, 2n), logBytes(leader.partition.log, 2n));
  });

  it("when the leader is at a newer epoch than the follower's, then the follower stops fetching the partition until new metadata", async (t) => {
    const { leader, fetcher, endpoint, follow } = leaderAndFollower(t, 1);
    leader.state.makeLeader({ leaderEpoch: 2, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
    follow();
    await waitFor(() => fetcher.partitionCount === 0);
    assert.ok(endpoint.calls.includes("Fetch"));
  });

  it("when the follower's log fails a write and goes offline, then the fetcher drops the partition and says nothing more", async (t) => {
    const faulty = new FaultyFileSystem();
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    const { leader, follower, fetcher, follow } = leaderAndFollower(t, 0, { followerFs: faulty, log });
    leader.state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
    leader.state.appendAsLeader(records(2), 1);
    faulty.fail("append", { path: ".log" });
    follow();
    await waitFor(() => fetcher.partitionCount === 0, { timeoutMs: 5000, message: "the offline partition dropped" });
    assert.equal(follower.partition.log.isOffline, true);
    assert.deepEqual(warnings, []);
  });

  it("when requests fail, then the fetcher backs off and retries until they succeed", async (t) => {
    const { leader, follower, endpoint, follow } = leaderAndFollower(t, 0);
    leader.state.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1] });
    leader.state.appendAsLeader(records(2), 1);
    endpoint.failuresLeft = 3;
    follow();
    await waitFor(() => follower.partition.log.logEndOffset === 2n);
    assert.equal(endpoint.failuresLeft, 0);
    assert.equal(leader.state.follower(1)?.logEndOffset, 2n);
    assert.equal(leader.state.highWatermark, 2n);
  });
});
