import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { silentLogger } from "../../../../broker/server/logger.ts";
import { BrokerLeaderEndpoint } from "../../../../broker/server/replication/leader-endpoint.ts";
import { fetchRequest, recordBytes } from "../../../helpers/requests.ts";
import { startCluster } from "./cluster-fixture.ts";
import { records } from "./partition-state-fixture.ts";

describe("BrokerLeaderEndpoint", () => {
  it("when a follower asks its leader over TCP, then Fetch, OffsetForLeaderEpoch and ListOffsets are answered as to a replica", async (t) => {
    const cluster = await startCluster(t, 1);
    cluster.controller.createTopic("orders", [[0, 1]]);
    const leader = cluster.broker(0).replicas.replica("orders", 0)!;
    leader.appendAsLeader(records(3), 1);

    const endpoint = new BrokerLeaderEndpoint(
      { brokerId: 0, host: "127.0.0.1", port: cluster.broker(0).port },
      1,
      5_000,
      silentLogger,
    );
    t.after(() => endpoint.close());
    assert.equal(endpoint.brokerId, 0);

    const fetched = await endpoint.fetch({
      ...fetchRequest([{ topic: "orders", partition: 0, fetchOffset: 0n }]),
      replicaId: 1,
    });
    const partition = fetched.responses[0]!.partitions[0]!;
    assert.equal(partition.errorCode, ErrorCode.NONE);
    assert.ok(recordBytes(partition.records).length > 0, "a replica reads past the high watermark");
    assert.equal(leader.follower(1)?.logEndOffset, 0n);

    const epochs = await endpoint.offsetsForLeaderEpoch({
      replicaId: 1,
      topics: [{ topic: "orders", partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }] }],
    });
    assert.deepEqual(epochs.topics[0]!.partitions[0], { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 3n });

    const latest = await endpoint.listOffsets({
      replicaId: 1,
      isolationLevel: 0,
      topics: [{ name: "orders", partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
    });
    assert.equal(latest.topics[0]!.partitions[0]!.offset, 3n, "a replica is told the log end, not the high watermark");
  });

  it("when the endpoint is closed, then a request in flight fails", async (t) => {
    const cluster = await startCluster(t, 1);
    cluster.controller.createTopic("orders", [[0, 1]]);
    const endpoint = new BrokerLeaderEndpoint(
      { brokerId: 0, host: "127.0.0.1", port: cluster.broker(0).port },
      1,
      5_000,
      silentLogger,
    );
    const request = {
      ...fetchRequest([{ topic: "orders", partition: 0, fetchOffset: 0n }], { maxWaitMs: 1_000 }),
      replicaId: 1,
    };
    await endpoint.fetch({ ...request, maxWaitMs: 0 });
    const parked = endpoint.fetch(request);
    endpoint.close();
    await assert.rejects(parked);
  });
});
