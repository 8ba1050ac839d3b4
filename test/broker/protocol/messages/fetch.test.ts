// Fetch v12, the first flexible version and the one KRaft's followers use: versions 4-11 are
// covered where the fetch path is tested.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import type { FetchRequest } from "../../../../broker/protocol/messages/index.ts";
import { assertWireBytes, compactString, hex } from "./wire-bytes.ts";

const metadataTopic = compactString("__cluster_metadata");

const followerFetch: FetchRequest = {
  clusterId: null,
  replicaId: 1,
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 1048576,
  isolationLevel: 0,
  sessionId: 0,
  sessionEpoch: -1,
  topics: [
    {
      topic: "__cluster_metadata",
      partitions: [
        {
          partition: 0,
          currentLeaderEpoch: 3,
          fetchOffset: 20n,
          lastFetchedEpoch: 2,
          logStartOffset: 0n,
          partitionMaxBytes: 65536,
        },
      ],
    },
  ],
  forgottenTopicsData: [],
  rackId: "",
};

const followerFetchBytes = `
  00000001 000001f4 00000001 00100000 00 00000000 ffffffff
  02 ${metadataTopic}
    02 00000000 00000003 0000000000000014 00000002 0000000000000000 00010000 00
    00
  01
  01`;

describe("Fetch v12 (flexible)", () => {
  it("when a follower fetches, then the last fetched epoch follows the fetch offset and sections are compact", () => {
    assertWireBytes(Apis.Fetch.requestSchema, 12, followerFetch, hex(`${followerFetchBytes} 00`));
  });

  it("when the request carries a cluster id, then it is tagged field 0 of the request", () => {
    const decoded = assertWireBytes(
      Apis.Fetch.requestSchema,
      12,
      { ...followerFetch, clusterId: "c1" },
      hex(`${followerFetchBytes} 01 00 03 ${compactString("c1")}`),
    );
    assert.equal(decoded.clusterId, "c1");
  });

  it("when the leader finds the follower diverged, then the partition carries DivergingEpoch as tagged field 0", () => {
    const decoded = assertWireBytes(
      Apis.Fetch.responseSchema,
      12,
      {
        throttleTimeMs: 0,
        errorCode: 0,
        sessionId: 0,
        responses: [
          {
            topic: "__cluster_metadata",
            partitions: [
              {
                partitionIndex: 0,
                errorCode: 0,
                highWatermark: 15n,
                lastStableOffset: 15n,
                logStartOffset: 0n,
                divergingEpoch: { epoch: 2, endOffset: 17n },
                abortedTransactions: null,
                preferredReadReplica: -1,
                records: null,
              },
            ],
          },
        ],
      },
      hex(`
        00000000 0000 00000000
        02 ${metadataTopic}
          02 00000000 0000 000000000000000f 000000000000000f 0000000000000000 00 ffffffff 00
            01 00 0d 00000002 0000000000000011 00
          00
        00`),
    );
    const partition = decoded.responses[0]?.partitions[0];
    assert.deepEqual(
      partition?.currentLeader,
      { leaderId: -1, leaderEpoch: -1 },
      "absent tagged fields decode to defaults",
    );
  });

  it("when a partition answers NOT_LEADER with the current leader, then it is tagged field 1 and records follow the fixed fields", () => {
    assertWireBytes(
      Apis.Fetch.responseSchema,
      12,
      {
        throttleTimeMs: 0,
        errorCode: 0,
        sessionId: 0,
        responses: [
          {
            topic: "t",
            partitions: [
              {
                partitionIndex: 1,
                errorCode: 6,
                highWatermark: -1n,
                lastStableOffset: -1n,
                logStartOffset: -1n,
                currentLeader: { leaderId: 2, leaderEpoch: 4 },
                abortedTransactions: [],
                records: Buffer.from("abc"),
              },
            ],
          },
        ],
      },
      hex(`
        00000000 0000 00000000
        02 ${compactString("t")}
          02 00000001 0006 ffffffffffffffff ffffffffffffffff ffffffffffffffff 01 ffffffff 04 616263
            01 01 09 00000002 00000004 00
          00
        00`),
    );
  });
});
