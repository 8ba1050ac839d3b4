import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NotControllerError } from "../../../../broker/controller/controller-result.ts";
import { alterPartitionReassignments } from "../../../../broker/controller/partition-reassignment.ts";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { encode } from "../../../../broker/protocol/schema.ts";
import { listPartitionReassignmentsHandler } from "../../../../broker/server/handlers/46-list-partition-reassignments.ts";
import { clusterOf, commit, withTopic } from "../../controller/cluster-fixture.ts";
import { atActiveController, atOtherBroker } from "./reassignment-fixture.ts";

/** The handler's answer (it always has one). */
const list = async (...args: Parameters<typeof listPartitionReassignmentsHandler.handle>) =>
  (await listPartitionReassignmentsHandler.handle(...args))!;

const before = withTopic(clusterOf([1, 2, 3]), "orders", [
  [1, 2],
  [1, 2],
]);
const moving = commit(
  before,
  alterPartitionReassignments(before, [{ name: "orders", partitions: [{ partitionIndex: 1, replicas: [2, 3] }] }])
    .records,
);

describe("ListPartitionReassignments handler", () => {
  it("when a partition is being moved, then it is listed with its replicas, adding and removing, and the response encodes as version 0", async () => {
    const response = await list({ timeoutMs: 5000, topics: null }, atActiveController(moving));
    assert.deepEqual(response, {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      topics: [
        {
          name: "orders",
          partitions: [{ partitionIndex: 1, replicas: [2, 3, 1], addingReplicas: [3], removingReplicas: [1] }],
        },
      ],
    });
    assert.ok(encode(Apis.ListPartitionReassignments.responseSchema, 0, response).length > 0);
  });

  it("when the request names partitions none of which is being moved, then no topic is listed", async () => {
    const response = await list(
      { timeoutMs: 5000, topics: [{ name: "orders", partitionIndexes: [0] }] },
      atActiveController(moving),
    );
    assert.deepEqual(response.topics, []);
    assert.equal(response.errorCode, ErrorCode.NONE);
  });

  it("when the controller fails the request as a whole, then the top-level error code says so", async () => {
    const response = await list(
      { timeoutMs: 5000, topics: null },
      atActiveController(moving, new NotControllerError()),
    );
    assert.equal(response.errorCode, ErrorCode.NOT_CONTROLLER);
    assert.deepEqual(response.topics, []);
  });

  it("when another broker is the active controller, then the request is forwarded unchanged and its answer relayed", async () => {
    const { context, sent, relayed } = atOtherBroker("relays");
    const request = { timeoutMs: 5000, topics: null };
    assert.equal(await list(request, context), relayed);
    assert.deepEqual(sent, [{ api: "ListPartitionReassignments", request }]);
  });

  it("when no controller answers a forwarded request in time, then REQUEST_TIMED_OUT is the top-level error", async () => {
    const { context } = atOtherBroker("times out");
    const response = await list({ timeoutMs: 5000, topics: null }, context);
    assert.equal(response.errorCode, ErrorCode.REQUEST_TIMED_OUT);
  });
});
