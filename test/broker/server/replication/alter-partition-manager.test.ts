import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ApiDefinition } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { AlterPartitionRequest, AlterPartitionResponse } from "../../../../broker/protocol/messages/index.ts";
import { silentLogger } from "../../../../broker/server/logger.ts";
import {
  AlterPartitionManager,
  type ControllerChannel,
} from "../../../../broker/server/replication/alter-partition-manager.ts";
import type {
  AlterPartitionProposal,
  AlterPartitionResult,
} from "../../../../broker/server/replication/partition-state.ts";
import { HandTimers, settle } from "./partition-state-fixture.ts";

/** The controller's end: requests kept until the test answers or fails them. */
class HandChannel implements ControllerChannel {
  readonly requests: {
    request: AlterPartitionRequest;
    answer: (r: AlterPartitionResponse) => void;
    fail: (e: Error) => void;
  }[] = [];

  send<Req, Res>(_api: ApiDefinition<Req, Res>, request: Req): Promise<Res> {
    return new Promise((resolve, reject) =>
      this.requests.push({
        request: request as AlterPartitionRequest,
        answer: (response) => resolve(response as Res),
        fail: reject,
      }),
    );
  }

  /** Accepts every partition of request `index` as proposed, at the next partition epoch. */
  acceptAll(index: number): void {
    const { request, answer } = this.requests[index]!;
    answer({
      throttleTimeMs: 0,
      errorCode: 0,
      topics: request.topics.map((topic) => ({
        topicId: topic.topicId,
        partitions: topic.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: 0,
          leaderId: request.brokerId,
          leaderEpoch: p.leaderEpoch,
          isr: p.newIsr,
          partitionEpoch: p.partitionEpoch + 1,
        })),
      })),
    });
  }
}

const topicId = Buffer.alloc(16, 3);
const proposal = (partition: number, newIsr = [0, 1]): AlterPartitionProposal => ({
  topic: "sales",
  topicId,
  partition,
  leaderId: 0,
  leaderEpoch: 2,
  partitionEpoch: 5,
  newIsr,
});

function setUp() {
  const channel = new HandChannel();
  const timers = new HandTimers();
  const manager = new AlterPartitionManager(0, () => 7n, channel, timers, silentLogger);
  const results: AlterPartitionResult[] = [];
  const submit = (p: AlterPartitionProposal) => manager.submit(p).then((r) => results.push(r));
  return { channel, timers, manager, results, submit };
}

describe("AlterPartitionManager", () => {
  it("when proposals come while a request is in flight, then they go together in the next one, and each is settled with its partition's answer", async () => {
    const { channel, results, submit } = setUp();
    void submit(proposal(0));
    void submit(proposal(1));
    void submit(proposal(2, [0]));
    assert.equal(channel.requests.length, 1);
    assert.deepEqual(channel.requests[0]!.request, {
      brokerId: 0,
      brokerEpoch: 7n,
      topics: [
        {
          topicId,
          partitions: [
            { partitionIndex: 0, leaderEpoch: 2, newIsr: [0, 1], leaderRecoveryState: 0, partitionEpoch: 5 },
          ],
        },
      ],
    });
    channel.acceptAll(0);
    await settle();
    assert.deepEqual(
      channel.requests[1]!.request.topics[0]!.partitions.map((p) => p.partitionIndex),
      [1, 2],
    );
    channel.acceptAll(1);
    await settle();
    assert.deepEqual(results, [
      { kind: "updated", leaderEpoch: 2, partitionEpoch: 6, isr: [0, 1] },
      { kind: "updated", leaderEpoch: 2, partitionEpoch: 6, isr: [0, 1] },
      { kind: "updated", leaderEpoch: 2, partitionEpoch: 6, isr: [0] },
    ]);
  });

  it("when a partition already has a change queued, then a second one is refused with OPERATION_NOT_ATTEMPTED", async () => {
    const { manager } = setUp();
    void manager.submit(proposal(0));
    assert.deepEqual(await manager.submit(proposal(0, [0])), {
      kind: "error",
      errorCode: ErrorCode.OPERATION_NOT_ATTEMPTED,
    });
  });

  it("when the controller cannot be reached or is not the controller, then the request is sent again after a backoff", async () => {
    const { channel, timers, results, submit } = setUp();
    void submit(proposal(0));
    channel.requests[0]!.fail(new Error("connection refused"));
    await settle();
    assert.equal(channel.requests.length, 1);
    timers.fireAll();
    assert.equal(channel.requests.length, 2);
    channel.requests[1]!.answer({ throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, topics: [] });
    await settle();
    timers.fireAll();
    channel.acceptAll(2);
    await settle();
    assert.deepEqual(results, [{ kind: "updated", leaderEpoch: 2, partitionEpoch: 6, isr: [0, 1] }]);
  });

  it("when the controller refuses a partition, then its proposal is settled with that error", async () => {
    const { channel, results, submit } = setUp();
    void submit(proposal(0));
    channel.requests[0]!.answer({
      throttleTimeMs: 0,
      errorCode: 0,
      topics: [
        {
          topicId,
          partitions: [
            {
              partitionIndex: 0,
              errorCode: ErrorCode.INVALID_UPDATE_VERSION,
              leaderId: -1,
              leaderEpoch: -1,
              isr: [],
              partitionEpoch: -1,
            },
          ],
        },
      ],
    });
    await settle();
    assert.deepEqual(results, [{ kind: "error", errorCode: ErrorCode.INVALID_UPDATE_VERSION }]);
  });
});
