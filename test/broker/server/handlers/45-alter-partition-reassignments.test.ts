import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NotControllerError } from "../../../../broker/controller/controller-result.ts";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode, errorCodeName } from "../../../../broker/protocol/errors.ts";
import type { AlterPartitionReassignmentsRequest } from "../../../../broker/protocol/messages/index.ts";
import { encode } from "../../../../broker/protocol/schema.ts";
import { alterPartitionReassignmentsHandler } from "../../../../broker/server/handlers/45-alter-partition-reassignments.ts";
import { clusterOf, withTopic } from "../../controller/cluster-fixture.ts";
import { atActiveController, atOtherBroker } from "./reassignment-fixture.ts";

/** The handler's answer (it always has one). */
const alter = async (...args: Parameters<typeof alterPartitionReassignmentsHandler.handle>) =>
  (await alterPartitionReassignmentsHandler.handle(...args))!;

const image = withTopic(clusterOf([1, 2, 3]), "orders", [[1, 2]]);

const request = (
  replicas: number[] | null,
  name = "orders",
  partitionIndex = 0,
): AlterPartitionReassignmentsRequest => ({
  timeoutMs: 5000,
  topics: [{ name, partitions: [{ partitionIndex, replicas }] }],
});

describe("AlterPartitionReassignments handler", () => {
  it("when this broker is the active controller, then each partition is answered with its own error code and the response encodes as version 0", async () => {
    const response = await alter(
      {
        timeoutMs: 5000,
        topics: [
          {
            name: "orders",
            partitions: [
              { partitionIndex: 0, replicas: [2, 3] },
              { partitionIndex: 1, replicas: [2, 3] },
            ],
          },
          { name: "nope", partitions: [{ partitionIndex: 0, replicas: [1] }] },
        ],
      },
      atActiveController(image),
    );
    assert.equal(response.errorCode, ErrorCode.NONE);
    assert.equal(response.errorMessage, null);
    assert.deepEqual(
      response.responses.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
      [
        [
          "orders",
          [
            [0, ErrorCode.NONE],
            [1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
          ],
        ],
        ["nope", [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
      ],
    );
    assert.ok(encode(Apis.AlterPartitionReassignments.responseSchema, 0, response).length > 0);
  });

  for (const [what, replicas, errorCode] of [
    ["an empty replica list", [], ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    ["a duplicate broker", [2, 2], ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    ["an unknown broker", [2, 9], ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    ["a cancellation with no reassignment in progress", null, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS],
  ] as const) {
    it(`when the request names ${what}, then the partition carries ${errorCodeName(errorCode)}`, async () => {
      const response = await alter(request(replicas === null ? null : [...replicas]), atActiveController(image));
      const partition = response.responses[0]!.partitions[0]!;
      assert.equal(partition.errorCode, errorCode);
      assert.ok(partition.errorMessage);
    });
  }

  it("when the controller fails the request as a whole, then the top-level error code says so and no partition is answered", async () => {
    const response = await alter(request([2, 3]), atActiveController(image, new NotControllerError()));
    assert.equal(response.errorCode, ErrorCode.NOT_CONTROLLER);
    assert.deepEqual(response.responses, []);
  });

  it("when another broker is the active controller, then the request is forwarded unchanged and its answer relayed", async () => {
    const { context, sent, relayed } = atOtherBroker("relays");
    const forwarded = request([2, 3]);
    const response = await alter(forwarded, context);
    assert.equal(response, relayed);
    assert.deepEqual(sent, [{ api: "AlterPartitionReassignments", request: forwarded }]);
  });

  it("when no controller answers a forwarded request in time, then REQUEST_TIMED_OUT is the top-level error", async () => {
    const { context } = atOtherBroker("times out");
    const response = await alter(request([2, 3]), context);
    assert.equal(response.errorCode, ErrorCode.REQUEST_TIMED_OUT);
    assert.deepEqual(response.responses, []);
  });
});
