import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import type { ApiDefinition } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from "../../../../broker/protocol/messages/index.ts";
import type { TopicState } from "../../../../broker/server/cluster.ts";
import { CONSUMER_OFFSETS_TOPIC } from "../../../../broker/server/groups/offsets-record-format.ts";
import { silentLogger } from "../../../../broker/server/logger.ts";
import type { TopicPartitionSet } from "../../../../broker/server/transactions/transaction-metadata.ts";
import {
  appendMarkerLocally,
  type MarkerConnection,
  type TxnMarker,
  TxnMarkerChannel,
} from "../../../../broker/server/transactions/txn-marker-channel.ts";
import { topicPartitions } from "../partition-fixture.ts";

const marker: TxnMarker = { producerId: 77n, producerEpoch: 0, coordinatorEpoch: 2, commit: true };
const partitions = (entries: Record<string, number[]>): TopicPartitionSet =>
  new Map(Object.entries(entries).map(([topic, ids]) => [topic, new Set(ids)]));

/** Topic "t" with `leaders` per partition in the metadata, its partitions hosted (and led) here. */
function channelWith(
  t: TestContext,
  leaders: number[],
  answer?: (request: WriteTxnMarkersRequest) => WriteTxnMarkersResponse,
) {
  const local = topicPartitions(t, leaders.length, "t");
  const topic: TopicState = {
    name: "t",
    topicId: Buffer.alloc(16),
    isInternal: false,
    configs: {},
    partitions: leaders.map((leader, partition) => ({
      partition,
      leader,
      leaderEpoch: 0,
      replicas: [leader],
      isr: [leader],
    })),
  };
  const requests: { brokerId: number; request: WriteTxnMarkersRequest }[] = [];
  const connect = ({ brokerId }: { brokerId: number }): MarkerConnection => ({
    request: (async (_api: ApiDefinition, request: WriteTxnMarkersRequest) => {
      requests.push({ brokerId, request });
      if (answer === undefined) throw new Error("no connection");
      return answer(request);
    }) as MarkerConnection["request"],
    disconnect: () => {},
  });
  const channel = new TxnMarkerChannel({
    localBrokerId: 0,
    cluster: {
      brokers: [0, 1].map((nodeId) => ({ nodeId, host: "127.0.0.1", port: 9000 + nodeId, rack: null })),
      topic: (name) => (name === "t" ? topic : undefined),
    },
    topics: local,
    timeoutMs: 1000,
    retryBackoffMs: 1,
    log: silentLogger,
    connect,
  });
  t.after(() => channel.close());
  return { channel, local, topic, requests };
}

describe("the transaction marker channel", () => {
  it("when the partitions are led here, then each gets its marker appended and the send is written", async (t) => {
    const { channel, local } = channelWith(t, [0, 0]);
    assert.equal(await channel.send(marker, partitions({ t: [0, 1] }), () => true), "written");
    for (const index of [0, 1]) assert.equal(local.at(index).log.logEndOffset, 1n);
  });

  it("when a partition is led by another broker, then it gets a WriteTxnMarkers request with the marker's fields", async (t) => {
    const { channel, requests } = channelWith(t, [1], (request) => ({
      markers: request.markers.map((m) => ({
        producerId: m.producerId,
        topics: m.topics.map((topic) => ({
          name: topic.name,
          partitions: topic.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: ErrorCode.NONE })),
        })),
      })),
    }));
    assert.equal(await channel.send(marker, partitions({ t: [0] }), () => true), "written");
    assert.deepEqual(requests, [
      {
        brokerId: 1,
        request: {
          markers: [
            {
              producerId: 77n,
              producerEpoch: 0,
              transactionResult: true,
              coordinatorEpoch: 2,
              topics: [{ name: "t", partitionIndexes: [0] }],
            },
          ],
        },
      },
    ]);
  });

  it("when the leader answers with a fenced epoch, then the send is fenced", async (t) => {
    const { channel } = channelWith(t, [1], () => ({
      markers: [
        {
          producerId: 77n,
          topics: [{ name: "t", partitions: [{ partitionIndex: 0, errorCode: ErrorCode.INVALID_PRODUCER_EPOCH }] }],
        },
      ],
    }));
    assert.equal(await channel.send(marker, partitions({ t: [0] }), () => true), "fenced");
  });

  it("when a partition has no leader, then it is retried until the coordinator gives the transaction up", async (t) => {
    const { channel } = channelWith(t, [-1]);
    let asked = 0;
    assert.equal(await channel.send(marker, partitions({ t: [0] }), () => ++asked < 4), "abandoned");
    assert.equal(asked, 4);
  });

  it("when the leader cannot be reached, then it is retried, and the marker is written once a leader here takes it", async (t) => {
    const { channel, topic, requests } = channelWith(t, [1]);
    let rounds = 0;
    const outcome = await channel.send(marker, partitions({ t: [0] }), () => {
      rounds += 1;
      // The partition moves here after the first failed round.
      if (rounds === 2) topic.partitions[0]!.leader = 0;
      return true;
    });
    assert.equal(outcome, "written");
    assert.equal(requests.length, 1);
  });

  it("when the topic was deleted, then it needs no marker and the send is written", async (t) => {
    const { channel } = channelWith(t, [0]);
    assert.equal(await channel.send(marker, partitions({ gone: [0] }), () => true), "written");
  });

  it("when a marker lands on a __consumer_offsets partition, then the group coordinator is told its producer's transaction ended", async (t) => {
    const offsets = topicPartitions(t, 1, CONSUMER_OFFSETS_TOPIC);
    const told: unknown[] = [];
    const errorCode = await appendMarkerLocally(
      {
        topics: offsets,
        groups: { onTransactionCompleted: async (...args) => void told.push(args) },
        timeoutMs: 1000,
      },
      CONSUMER_OFFSETS_TOPIC,
      0,
      marker,
    );
    assert.equal(errorCode, ErrorCode.NONE);
    assert.deepEqual(told, [[0, 77n, true]]);
    assert.equal(
      await appendMarkerLocally({ topics: offsets, timeoutMs: 1000 }, CONSUMER_OFFSETS_TOPIC, 9, marker),
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
  });
});
