import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NotControllerError } from "../../../../broker/controller/controller-result.ts";
import type { ElectLeadersRequestData } from "../../../../broker/controller/leader-and-isr.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { ElectLeadersRequest } from "../../../../broker/protocol/messages/index.ts";
import { createElectLeadersHandler } from "../../../../broker/server/handlers/43-elect-leaders.ts";
import { contextAt } from "./controller-handler-context.ts";

const request: ElectLeadersRequest = {
  electionType: 1,
  topicPartitions: [{ topic: "orders", partitions: [0, 1] }],
  timeoutMs: 60_000,
};

describe("ElectLeaders handler", () => {
  it("when the request is version 0, then the election is preferred whatever the field says; from version 1 the field decides", async () => {
    const asked: ElectLeadersRequestData[] = [];
    const handler = createElectLeadersHandler(() => ({
      electLeaders: async (r) => {
        asked.push(r);
        return { errorCode: ErrorCode.NONE, replicaElectionResults: [] };
      },
    }));
    await handler.handle(request, contextAt(0));
    await handler.handle(request, contextAt(2));
    assert.deepEqual(
      asked.map((r) => r.electionType),
      [0, 1],
    );
    assert.deepEqual(await handler.handle(request, contextAt(1)), {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      replicaElectionResults: [],
    });
  });

  it("when there is no active controller here or the request fails as a whole, then every partition named carries the error", async () => {
    const everywhere = (errorCode: number) => ({
      throttleTimeMs: 0,
      errorCode,
      replicaElectionResults: [
        {
          topic: "orders",
          partitionResult: [
            { partitionId: 0, errorCode, errorMessage: null },
            { partitionId: 1, errorCode, errorMessage: null },
          ],
        },
      ],
    });
    assert.deepEqual(
      await createElectLeadersHandler(() => undefined).handle(request, contextAt(1)),
      everywhere(ErrorCode.NOT_CONTROLLER),
    );
    const lost = createElectLeadersHandler(() => ({ electLeaders: () => Promise.reject(new NotControllerError()) }));
    assert.deepEqual(await lost.handle(request, contextAt(2)), everywhere(ErrorCode.NOT_CONTROLLER));
    const invalid = createElectLeadersHandler(() => ({
      electLeaders: async () => ({ errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] }),
    }));
    assert.deepEqual(await invalid.handle(request, contextAt(0)), everywhere(ErrorCode.INVALID_REQUEST));
  });
});
