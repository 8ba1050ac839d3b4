import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { OffsetForLeaderEpochRequest } from "../../../../broker/protocol/messages/index.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import { produceRequest } from "../../../helpers/requests.ts";
import { WireClient } from "../../../helpers/wire-client.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";
import { startCluster } from "../replication/cluster-fixture.ts";

const request = (
  topic: string,
  partitions: { partition: number; leaderEpoch: number; currentLeaderEpoch?: number }[],
): OffsetForLeaderEpochRequest => ({
  replicaId: 1,
  topics: [{ topic, partitions: partitions.map((p) => ({ currentLeaderEpoch: -1, ...p })) }],
});

const batch = (count: number) =>
  encodeRecordBatch({ records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`) })) });

describe("OffsetForLeaderEpoch", () => {
  describe("on a single node", () => {
    const broker = useRoutedBroker();

    it("when asked for the epoch a single node writes, then the log end; for an unknown partition, UNKNOWN_TOPIC_OR_PARTITION", async () => {
      await broker.request(Apis.Produce, 7, produceRequest("epochs", [{ index: 0, records: batch(3) }]));
      const response = await broker.request(
        Apis.OffsetForLeaderEpoch,
        4,
        request("epochs", [
          { partition: 0, leaderEpoch: 0 },
          { partition: 9, leaderEpoch: 0 },
        ]),
      );
      assert.deepEqual(response?.topics[0]?.partitions, [
        { errorCode: ErrorCode.NONE, partition: 0, leaderEpoch: 0, endOffset: 3n },
        { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partition: 9, leaderEpoch: -1, endOffset: -1n },
      ]);
    });

    it("when the request's current leader epoch is newer than the node's, then UNKNOWN_LEADER_EPOCH", async () => {
      const response = await broker.request(
        Apis.OffsetForLeaderEpoch,
        3,
        request("epochs", [{ partition: 0, leaderEpoch: 0, currentLeaderEpoch: 1 }]),
      );
      assert.equal(response?.topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);
    });
  });

  it("when a replicated partition is asked, then its leader answers from its epoch cache and a follower refuses", async (t) => {
    const cluster = await startCluster(t, 2);
    cluster.controller.createTopic("orders", [[0, 1]]);
    const leader = await WireClient.connect(cluster.broker(0).address);
    const follower = await WireClient.connect(cluster.broker(1).address);
    t.after(() => {
      leader.close();
      follower.close();
    });
    await leader.request(Apis.Produce, 7, produceRequest("orders", [{ index: 0, records: batch(2) }]));
    cluster.controller.changePartition("orders", 0, { leader: 1 });
    cluster.controller.changePartition("orders", 0, { leader: 0 });
    await leader.request(Apis.Produce, 7, produceRequest("orders", [{ index: 0, records: batch(3) }]));

    const answer = async (client: WireClient, leaderEpoch: number, currentLeaderEpoch = -1) =>
      (
        await client.request(
          Apis.OffsetForLeaderEpoch,
          4,
          request("orders", [{ partition: 0, leaderEpoch, currentLeaderEpoch }]),
        )
      ).topics[0]!.partitions[0]!;
    assert.deepEqual(await answer(leader, 0), { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 2n });
    assert.deepEqual(await answer(leader, 1), { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 2n });
    assert.deepEqual(await answer(leader, 2, 2), { errorCode: 0, partition: 0, leaderEpoch: 2, endOffset: 5n });
    assert.equal((await answer(leader, 2, 1)).errorCode, ErrorCode.FENCED_LEADER_EPOCH);
    assert.equal((await answer(follower, 0)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });
});
