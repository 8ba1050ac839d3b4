import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { ProduceResponsePartitionProduceResponse } from "../../../../broker/protocol/messages/index.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import { splitBatches } from "../../../../broker/protocol/record-batch/splitter.ts";
import { silentLogger } from "../../../../broker/server/logger.ts";
import { nodeFileSystem } from "../../../../broker/storage/file-system.ts";
import { PartitionLog } from "../../../../broker/storage/partition-log.ts";
import { fetchRequest, produceRequest, recordBytes } from "../../../helpers/requests.ts";
import { waitFor } from "../../../helpers/wait.ts";
import { WireClient } from "../../../helpers/wire-client.ts";
import { batchOfSize } from "../../storage/batch-builder.ts";
import { FaultyFileSystem, ioError } from "../../storage/faulty-file-system.ts";
import { startCluster, type TestCluster } from "./cluster-fixture.ts";

const LAG_TIME_MS = 30_000;

/** Wire clients to the cluster's brokers, closed after the test. */
function clients(t: TestContext, cluster: TestCluster) {
  const open: WireClient[] = [];
  t.after(() => {
    for (const client of open) client.close();
  });
  const connect = async (brokerId: number) => {
    const client = await WireClient.connect(cluster.broker(brokerId).address);
    open.push(client);
    return client;
  };
  return {
    async produce(
      brokerId: number,
      topic: string,
      records: Buffer,
      options: { acks?: number; timeoutMs?: number; partition?: number } = {},
    ): Promise<ProduceResponsePartitionProduceResponse> {
      const client = await connect(brokerId);
      const response = await client.request(
        Apis.Produce,
        7,
        produceRequest(topic, [{ index: options.partition ?? 0, records }], options),
      );
      return response.responses[0]!.partitionResponses[0]!;
    },
    /** A consumer's fetch (replica id -1) at Fetch v`version`. */
    async consume(brokerId: number, topic: string, fetchOffset: bigint, version = 11) {
      const client = await connect(brokerId);
      const response = await client.request(Apis.Fetch, version, fetchRequest([{ topic, partition: 0, fetchOffset }]));
      return response.responses[0]!.partitions[0]!;
    },
  };
}

const batch = (...values: string[]) =>
  encodeRecordBatch({ records: values.map((value) => ({ key: null, value: Buffer.from(value) })) });

/** The base offsets of the batches in fetched bytes. */
function batchOffsets(bytes: Buffer): bigint[] {
  return splitBatches(bytes).batches.map((b) => b.header.baseOffset);
}

/** Every stored byte of a log, from its start to its end. */
function logBytes(log: PartitionLog): Buffer {
  const read = log.read(log.logStartOffset, 1 << 30, true);
  assert.equal(read.kind, "records");
  return read.kind === "records" ? Buffer.concat(read.chunks) : Buffer.alloc(0);
}

describe("ReplicaManager", () => {
  it("when acks=all is produced on three replicas, then it is answered only once every ISR member has fetched the records", async (t) => {
    const cluster = await startCluster(t, 3);
    const wire = clients(t, cluster);
    cluster.controller.createTopic("orders", [[0, 1, 2]]);
    await cluster.broker(2).stop();

    let answer: ProduceResponsePartitionProduceResponse | undefined;
    const produced = wire.produce(0, "orders", batch("a", "b"), { timeoutMs: 60_000 }).then((a) => {
      answer = a;
      return a;
    });
    const leader = cluster.broker(0).replicas.replica("orders", 0)!;
    await waitFor(() => leader.partition.log.logEndOffset === 2n && leader.follower(1)?.logEndOffset === 2n, {
      message: "the leader appended and follower 1 fetched past the records",
    });
    assert.equal(answer, undefined, "broker 2, in the ISR, has not fetched them");
    assert.equal(leader.highWatermark, 0n);

    await cluster.broker(2).start();
    const done = await produced;
    assert.equal(done.errorCode, ErrorCode.NONE);
    assert.equal(done.baseOffset, 0n);
    for (const id of [1, 2]) assert.ok(cluster.broker(id).replicas.partition("orders", 0)!.log.logEndOffset >= 2n);
  });

  it("when records are not yet on every ISR member, then consumers do not see them, on the leader or on a follower", async (t) => {
    const cluster = await startCluster(t, 3);
    const wire = clients(t, cluster);
    cluster.controller.createTopic("orders", [[0, 1, 2]]);
    assert.equal((await wire.produce(0, "orders", batch("committed"))).errorCode, ErrorCode.NONE);
    await cluster.broker(2).stop();
    assert.equal((await wire.produce(0, "orders", batch("pending"), { acks: 1 })).errorCode, ErrorCode.NONE);
    const leader = cluster.broker(0).replicas.replica("orders", 0)!;
    await waitFor(() => leader.follower(1)?.logEndOffset === 2n);

    const fromLeader = await wire.consume(0, "orders", 0n);
    assert.equal(fromLeader.highWatermark, 1n);
    assert.deepEqual(batchOffsets(recordBytes(fromLeader.records)), [0n]);
    assert.equal(
      (await wire.consume(0, "orders", 1n)).records?.length ?? 0,
      0,
      "nothing at or above the high watermark",
    );

    const fromFollower = await wire.consume(1, "orders", 0n);
    assert.ok(fromFollower.highWatermark <= 1n);
    assert.equal((await wire.consume(1, "orders", 0n, 10)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);

    await cluster.broker(2).start();
    await waitFor(async () => (await wire.consume(0, "orders", 1n)).highWatermark === 2n);
    assert.deepEqual(batchOffsets(recordBytes((await wire.consume(0, "orders", 1n)).records)), [1n]);
  });

  it("when the ISR is below min.insync.replicas, then acks=all gets NOT_ENOUGH_REPLICAS and acks=1 is stored; once the followers are back the ISR is whole again", async (t) => {
    const cluster = await startCluster(t, 3);
    const wire = clients(t, cluster);
    cluster.controller.createTopic("payments", [[0, 1, 2]], { "min.insync.replicas": "2" });
    await cluster.broker(1).stop();
    await cluster.broker(2).stop();
    cluster.controller.changePartition("payments", 0, { isr: [0] });

    assert.equal((await wire.produce(0, "payments", batch("x"))).errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
    const acksOne = await wire.produce(0, "payments", batch("y"), { acks: 1 });
    assert.equal(acksOne.errorCode, ErrorCode.NONE);
    assert.equal(acksOne.baseOffset, 0n);

    await cluster.broker(1).start();
    await cluster.broker(2).start();
    await waitFor(() => cluster.controller.partition("payments", 0).isr.length === 3, {
      message: () => `ISR whole again, is ${cluster.controller.partition("payments", 0).isr}`,
    });
    const acksAll = await wire.produce(0, "payments", batch("z"));
    assert.equal(acksAll.errorCode, ErrorCode.NONE);
    assert.equal(acksAll.baseOffset, 1n);
  });

  it("when a follower has not caught up for replica.lag.time.max.ms, then the leader shrinks the ISR through the controller, and expands it once it caught up", async (t) => {
    const cluster = await startCluster(t, 2);
    const wire = clients(t, cluster);
    cluster.controller.createTopic("sales", [[0, 1]]);
    assert.equal((await wire.produce(0, "sales", batch("a"))).errorCode, ErrorCode.NONE);
    await cluster.broker(1).stop();
    assert.equal((await wire.produce(0, "sales", batch("b"), { acks: 1 })).errorCode, ErrorCode.NONE);

    const leader = cluster.broker(0).replicas.replica("sales", 0)!;
    cluster.clock.now += LAG_TIME_MS;
    cluster.broker(0).replicas.maybeShrinkIsr();
    assert.equal(cluster.controller.proposals.length, 0, "not yet past the lag time");

    cluster.controller.hold = true;
    cluster.clock.now += 1;
    cluster.broker(0).replicas.maybeShrinkIsr();
    assert.deepEqual(cluster.controller.proposals.at(-1)?.newIsr, [0]);
    assert.deepEqual(leader.isr, [0, 1], "the leader's ISR changes only once the change is committed");
    cluster.controller.release(false);
    assert.deepEqual(cluster.controller.partition("sales", 0).isr, [0]);
    assert.deepEqual(leader.isr, [0], "learned from the metadata");
    assert.equal(leader.highWatermark, 2n, "the smaller ISR commits the acks=1 record");

    cluster.controller.hold = false;
    await cluster.broker(1).start();
    await waitFor(() => cluster.controller.partition("sales", 0).isr.length === 2);
    assert.deepEqual(cluster.controller.proposals.at(-1)?.newIsr, [0, 1]);
    assert.deepEqual(leader.isr, [0, 1]);
  });

  it("when a former leader with an uncommitted tail comes back as follower, then it truncates through OffsetForLeaderEpoch and ends byte-identical to the new leader", async (t) => {
    const cluster = await startCluster(t, 2);
    const wire = clients(t, cluster);
    cluster.controller.createTopic("ledger", [[0, 1]]);
    assert.equal((await wire.produce(0, "ledger", batch("a", "b"))).errorCode, ErrorCode.NONE);
    await waitFor(() => cluster.broker(1).replicas.partition("ledger", 0)!.log.logEndOffset === 2n);
    await cluster.broker(1).stop();
    // Broker 0's tail past offset 2 never reaches broker 1.
    assert.equal(
      (await wire.produce(0, "ledger", batch("lost-1", "lost-2", "lost-3", "lost-4"), { acks: 1 })).errorCode,
      0,
    );
    await cluster.broker(0).stop();

    await cluster.broker(1).start();
    cluster.controller.changePartition("ledger", 0, { leader: 1, isr: [1] });
    assert.equal((await wire.produce(1, "ledger", batch("c"))).errorCode, ErrorCode.NONE);
    assert.equal((await wire.produce(1, "ledger", batch("d", "e"))).errorCode, ErrorCode.NONE);

    await cluster.broker(0).start();
    const newLeader = cluster.broker(1).replicas.partition("ledger", 0)!.log;
    const oldLeader = cluster.broker(0).replicas.partition("ledger", 0)!.log;
    await waitFor(
      () =>
        oldLeader.logEndOffset === newLeader.logEndOffset && cluster.controller.partition("ledger", 0).isr.length === 2,
      {
        message: () => `follower at ${oldLeader.logEndOffset}, leader at ${newLeader.logEndOffset}`,
      },
    );
    assert.equal(newLeader.logEndOffset, 5n);
    assert.deepEqual(logBytes(oldLeader), logBytes(newLeader));
    assert.deepEqual(oldLeader.epochEntries, newLeader.epochEntries);
    assert.deepEqual(
      newLeader.epochEntries.map((e) => [e.epoch, e.startOffset]),
      [
        [0, 0n],
        [1, 2n],
      ],
    );
  });

  it("when an idempotent producer retries on the new leader after a failover, then the batch is recognised and not stored twice", async (t) => {
    const cluster = await startCluster(t, 2);
    const wire = clients(t, cluster);
    cluster.controller.createTopic("points", [[0, 1]]);
    const idempotent = (sequence: number) =>
      encodeRecordBatch({
        records: [{ key: null, value: Buffer.from(`seq-${sequence}`) }],
        producerId: 4_000n,
        producerEpoch: 0,
        baseSequence: sequence,
      });
    assert.equal((await wire.produce(0, "points", idempotent(0))).baseOffset, 0n);
    await cluster.broker(0).stop();
    cluster.controller.changePartition("points", 0, { leader: 1, isr: [1] });

    const retried = await wire.produce(1, "points", idempotent(0));
    assert.equal(retried.errorCode, ErrorCode.NONE);
    assert.equal(retried.baseOffset, 0n);
    const next = await wire.produce(1, "points", idempotent(1));
    assert.equal(next.baseOffset, 1n);
    assert.equal(cluster.broker(1).replicas.partition("points", 0)!.log.logEndOffset, 2n);
  });

  it("when a request reaches a follower or carries a stale epoch, then NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH", async (t) => {
    const cluster = await startCluster(t, 2);
    const wire = clients(t, cluster);
    cluster.controller.createTopic("orders", [[0, 1]]);
    assert.equal((await wire.produce(1, "orders", batch("x"))).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    cluster.controller.changePartition("orders", 0, { leader: 1 });
    cluster.controller.changePartition("orders", 0, { leader: 0 });
    const client = await WireClient.connect(cluster.broker(0).address);
    t.after(() => client.close());
    const request = fetchRequest([{ topic: "orders", partition: 0, fetchOffset: 0n }]);
    request.topics[0]!.partitions[0]!.currentLeaderEpoch = 1;
    const fenced = await client.request(Apis.Fetch, 11, request);
    assert.equal(fenced.responses[0]!.partitions[0]!.errorCode, ErrorCode.FENCED_LEADER_EPOCH);
    request.topics[0]!.partitions[0]!.currentLeaderEpoch = 2;
    const current = await client.request(Apis.Fetch, 11, request);
    assert.equal(current.responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  });

  it("when a topic is deleted, then its replicas stop and their logs are deleted", async (t) => {
    const cluster = await startCluster(t, 2);
    const wire = clients(t, cluster);
    cluster.controller.createTopic("temporary", [[0, 1]]);
    assert.equal((await wire.produce(0, "temporary", batchOfSize(3, 10))).errorCode, ErrorCode.NONE);
    const dirs = [0, 1].map((id) => join(cluster.broker(id).dataDir, "temporary-0"));
    assert.ok(dirs.every((dir) => existsSync(dir)));
    cluster.controller.deleteTopic("temporary");
    for (const id of [0, 1]) assert.equal(cluster.broker(id).replicas.partition("temporary", 0), undefined);
    assert.ok(dirs.every((dir) => !existsSync(dir)));
    await waitFor(() => cluster.broker(1).replicas.fetchers.fetcherCount === 0, { message: "idle fetcher stopped" });
  });

  it("when a replica's log cannot be opened, then it is reported once and left out while the others are hosted and served", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "replica-manager-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const errors: Array<Record<string, unknown> | undefined> = [];
    const cluster = await startCluster(t, 1, {
      openLog: (topic, partition) => {
        if (topic.name === "orders" && partition === 1) throw ioError("EIO", "read", `${topic.name}-${partition}`);
        return {
          log: PartitionLog.open(nodeFileSystem, join(dir, `${topic.name}-${partition}`)),
          maxMessageBytes: 1_000_000,
        };
      },
      log: { ...silentLogger, error: (_message, fields) => void errors.push(fields) },
    });
    const wire = clients(t, cluster);
    cluster.controller.createTopic("orders", [[0], [0], [0]]);
    cluster.controller.createTopic("later", [[0]]);
    const replicas = cluster.broker(0).replicas;
    assert.deepEqual(
      [0, 1, 2].map((index) => replicas.partition("orders", index) !== undefined),
      [true, false, true],
    );
    assert.ok(replicas.partition("later", 0));
    assert.equal((await wire.produce(0, "orders", batch("a"), { partition: 2 })).errorCode, ErrorCode.NONE);
    assert.deepEqual(errors, [{ topic: "orders", partition: 1, error: "EIO: i/o error, read 'orders-1'" }]);
  });

  it("when one log fails to flush as the broker stops, then the others are still flushed and closed", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "replica-manager-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const disks = new Map<number, FaultyFileSystem>();
    const cluster = await startCluster(t, 1, {
      openLog: (topic, partition) => {
        const disk = new FaultyFileSystem();
        disks.set(partition, disk);
        return { log: PartitionLog.open(disk, join(dir, `${topic.name}-${partition}`)), maxMessageBytes: 1_000_000 };
      },
    });
    const wire = clients(t, cluster);
    cluster.controller.createTopic("orders", [[0], [0], [0]]);
    for (const partition of [0, 1, 2])
      assert.equal((await wire.produce(0, "orders", batch("a"), { partition })).errorCode, ErrorCode.NONE);
    disks.get(0)!.fail("sync", { path: ".log" });
    await cluster.broker(0).stop();
    assert.deepEqual(
      [0, 1, 2].map((partition) => disks.get(partition)!.openFiles),
      [0, 0, 0],
    );
    assert.ok(
      disks.get(2)!.syncs.some((path) => path.endsWith(".log")),
      "partition 2 was flushed",
    );
  });

  it("when the metadata moves leaderships, then the listeners hear which partitions the broker became the leader of and stopped leading, with the leader epoch", async (t) => {
    const cluster = await startCluster(t, 2);
    const heard = new Map<number, string[]>([
      [0, []],
      [1, []],
    ]);
    for (const id of [0, 1]) {
      cluster.broker(id).replicas.onLeadershipChange((change) => {
        heard.get(id)!.push(`${change.kind} ${change.topic}-${change.partition} epoch ${change.leaderEpoch}`);
      });
    }
    const heardSince = (id: number, from: number) => heard.get(id)!.slice(from);

    cluster.controller.createTopic("orders", [
      [0, 1],
      [1, 0],
    ]);
    assert.deepEqual(heardSince(0, 0), ["became-leader orders-0 epoch 0"]);
    assert.deepEqual(heardSince(1, 0), ["became-leader orders-1 epoch 0"]);

    cluster.controller.changePartition("orders", 0, { leader: 1 });
    assert.deepEqual(heardSince(0, 1), ["stopped-leading orders-0 epoch 1"]);
    assert.deepEqual(heardSince(1, 1), ["became-leader orders-0 epoch 1"]);

    cluster.controller.changePartition("orders", 1, { isr: [1] });
    assert.deepEqual(heardSince(1, 2), [], "an ISR change keeps the leader and its epoch: nothing to tell");

    cluster.controller.deleteTopic("orders");
    assert.deepEqual(heardSince(0, 1), ["stopped-leading orders-0 epoch 1"], "broker 0 led nothing any more");
    assert.deepEqual(heardSince(1, 2), ["stopped-leading orders-0 epoch 1", "stopped-leading orders-1 epoch 0"]);
  });

  it("when a leadership listener throws, then the others still hear and the image is applied", async (t) => {
    const cluster = await startCluster(t, 1);
    const replicas = cluster.broker(0).replicas;
    replicas.onLeadershipChange(() => {
      throw new Error("listener bug");
    });
    const heard: string[] = [];
    const unsubscribe = replicas.onLeadershipChange((change) => heard.push(`${change.kind} ${change.partition}`));
    cluster.controller.createTopic("orders", [[0], [0]]);
    assert.deepEqual(heard, ["became-leader 0", "became-leader 1"]);
    assert.equal(replicas.replica("orders", 1)?.isLeader, true);
    unsubscribe();
    cluster.controller.deleteTopic("orders");
    assert.deepEqual(heard, ["became-leader 0", "became-leader 1"], "an unsubscribed listener hears nothing more");
  });

  it("when an image brings more new replicas than one pass hosts, then the rest are hosted on later turns of the event loop and every leadership is told", async (t) => {
    const cluster = await startCluster(t, 1, { maxNewReplicasPerPass: 2 });
    const becameLeader: number[] = [];
    cluster.broker(0).replicas.onLeadershipChange((change) => {
      if (change.kind === "became-leader") becameLeader.push(change.partition);
    });

    cluster.controller.createTopic("wide", [[0], [0], [0], [0], [0]]);
    assert.equal(cluster.broker(0).replicas.allPartitions().length, 2, "the first pass hosts two");

    await waitFor(() => cluster.broker(0).replicas.allPartitions().length === 5);
    assert.deepEqual(
      becameLeader.sort((a, b) => a - b),
      [0, 1, 2, 3, 4],
    );
    const wire = clients(t, cluster);
    const answer = await wire.produce(0, "wide", batch("last"), { partition: 4 });
    assert.equal(answer.errorCode, ErrorCode.NONE);
  });
});
