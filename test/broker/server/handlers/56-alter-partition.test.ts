import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NotControllerError } from "../../../../broker/controller/controller-result.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { AlterPartitionRequest } from "../../../../broker/protocol/messages/index.ts";
import { createAlterPartitionHandler } from "../../../../broker/server/handlers/56-alter-partition.ts";
import { contextAt } from "./controller-handler-context.ts";

const topicId = Buffer.alloc(16, 3);
const request: AlterPartitionRequest = {
  brokerId: 1,
  brokerEpoch: 12n,
  topics: [
    {
      topicId,
      partitions: [{ partitionIndex: 0, leaderEpoch: 2, newIsr: [1, 2], leaderRecoveryState: 0, partitionEpoch: 5 }],
    },
  ],
};

describe("AlterPartition handler", () => {
  it("when the controller answers, then its per-partition results go back by topic id at the request's version", async () => {
    const versions: number[] = [];
    const handler = createAlterPartitionHandler(() => ({
      alterPartition: async (r, version) => {
        versions.push(version);
        assert.equal(r, request);
        return {
          errorCode: ErrorCode.NONE,
          topics: [
            {
              topicName: "",
              topicId,
              partitions: [
                {
                  partitionIndex: 0,
                  errorCode: ErrorCode.NONE,
                  leaderId: 1,
                  leaderEpoch: 2,
                  isr: [1, 2],
                  leaderRecoveryState: 0,
                  partitionEpoch: 6,
                },
              ],
            },
          ],
        };
      },
    }));
    const response = await handler.handle(request, contextAt(2));
    assert.deepEqual(versions, [2]);
    assert.deepEqual(response, {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      topics: [
        {
          topicId,
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              leaderId: 1,
              leaderEpoch: 2,
              isr: [1, 2],
              leaderRecoveryState: 0,
              partitionEpoch: 6,
            },
          ],
        },
      ],
    });
  });

  it("when there is no active controller here, then the request fails with NOT_CONTROLLER", async () => {
    const expected = { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, topics: [] };
    assert.deepEqual(await createAlterPartitionHandler(() => undefined).handle(request, contextAt(2)), expected);
    const lost = createAlterPartitionHandler(() => ({
      alterPartition: () => Promise.reject(new NotControllerError()),
    }));
    assert.deepEqual(await lost.handle(request, contextAt(2)), expected);
  });
});
