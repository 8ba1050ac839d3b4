import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { assertWireBytes, hex } from "./wire-bytes.ts";

const topicId = hex("0123456789abcdef0123456789abcdef");

describe("AlterPartition v2 (flexible, topic ids)", () => {
  it("when a leader proposes a new ISR, then partitions are keyed by topic id and carry the partition epoch", () => {
    const decoded = assertWireBytes(
      Apis.AlterPartition.requestSchema,
      2,
      {
        brokerId: 1,
        brokerEpoch: 9n,
        topics: [
          {
            topicId,
            partitions: [
              { partitionIndex: 3, leaderEpoch: 4, newIsr: [1, 2], leaderRecoveryState: 0, partitionEpoch: 7 },
            ],
          },
        ],
      },
      hex(`
        00000001 0000000000000009
        02 0123456789abcdef0123456789abcdef
          02 00000003 00000004 03 00000001 00000002 00 00000007 00
          00
        00`),
    );
    assert.deepEqual(decoded.topics[0]?.topicId, topicId);
  });

  it("when the controller answers, then each partition has its error, leader, ISR and new partition epoch", () => {
    assertWireBytes(
      Apis.AlterPartition.responseSchema,
      2,
      {
        throttleTimeMs: 0,
        errorCode: 0,
        topics: [
          {
            topicId,
            partitions: [
              {
                partitionIndex: 3,
                errorCode: 0,
                leaderId: 1,
                leaderEpoch: 4,
                isr: [1, 2],
                leaderRecoveryState: 0,
                partitionEpoch: 8,
              },
            ],
          },
        ],
      },
      hex(`
        00000000 0000
        02 0123456789abcdef0123456789abcdef
          02 00000003 0000 00000001 00000004 03 00000001 00000002 00 00000008 00
          00
        00`),
    );
  });
});
