// Where a metadata-changing request runs: on this node's controller when it is (or is becoming) the
// active one, else forwarded unchanged to the active controller and its answer relayed. A real
// QuorumController on the fake Raft node; the channel to the other controller notes what it is sent.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QuorumController } from "../../../broker/controller/quorum-controller.ts";
import { type ApiDefinition, Apis } from "../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { ForwardingManager } from "../../../broker/server/forwarding-manager.ts";
import { MetadataLoader } from "../../../broker/server/metadata/metadata-loader.ts";
import {
  type ControllerChannel,
  ControllerUnavailableError,
} from "../../../broker/server/node-to-controller-channel.ts";
import { waitFor } from "../../helpers/wait.ts";
import { FakeRaft } from "../controller/fake-raft.ts";

const localId = 1;

/** What the active controller elsewhere answers, whatever it is asked. */
const relayed = { throttleTimeMs: 0, topics: [], answeredBy: "the active controller" };

class RecordingChannel implements ControllerChannel {
  readonly sent: { api: string; request: unknown }[] = [];

  send<Req, Res>(api: ApiDefinition<Req, Res>, request: Req): Promise<Res> {
    this.sent.push({ api: api.name, request });
    return Promise.resolve(relayed as Res);
  }

  close(): void {}
}

function voter() {
  const raft = new FakeRaft();
  const controller = new QuorumController({
    clusterId: "cluster-a",
    raft,
    committed: new MetadataLoader(raft),
    config: {
      sessionTimeoutMs: 9000,
      defaultPartitions: 1,
      defaultReplicationFactor: 1,
      uncleanLeaderElection: false,
      autoLeaderRebalance: false,
      leaderImbalanceCheckIntervalMs: 300_000,
    },
    timers: { every: () => () => {}, after: () => () => {} },
  });
  return { raft, controller };
}

const request = {
  topics: [{ name: "orders", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
  timeoutMs: 1000,
  validateOnly: false,
};

describe("ForwardingManager", () => {
  it("when this node's controller is active, then the request runs here and nothing is forwarded", async () => {
    const { raft, controller } = voter();
    raft.becomeLeader();
    await waitFor(() => raft.pendingCount === 1, { message: "the activation record proposed" });
    raft.commit();
    await waitFor(() => controller.isActive, { message: "active" });
    const channel = new RecordingChannel();
    const forwarding = new ForwardingManager(localId, controller, () => localId, channel);

    const ranHere = { throttleTimeMs: 0, topics: [] };
    const answer = await forwarding.route(Apis.CreateTopics, request, async (local) => {
      assert.equal(local, controller);
      return ranHere;
    });

    assert.equal(answer, ranHere);
    assert.deepEqual(channel.sent, []);
  });

  it("when another node is the active controller, then the request is forwarded unchanged and its answer relayed", async () => {
    const { controller } = voter();
    const channel = new RecordingChannel();
    const forwarding = new ForwardingManager(localId, controller, () => 0, channel);

    const answer = await forwarding.route(Apis.CreateTopics, request, () => assert.fail("must not run here"));

    assert.equal(answer, relayed);
    assert.deepEqual(channel.sent, [{ api: "CreateTopics", request }]);
    assert.equal(channel.sent[0]!.request, request, "the very request");
  });

  it("when this node is no controller voter, then every request is forwarded", async () => {
    const channel = new RecordingChannel();
    const forwarding = new ForwardingManager(localId, undefined, () => localId, channel);

    await forwarding.route(Apis.DeleteTopics, { topicNames: ["orders"], timeoutMs: 1000 }, () =>
      assert.fail("must not run here"),
    );

    assert.deepEqual(
      channel.sent.map((s) => s.api),
      ["DeleteTopics"],
    );
  });

  it("when this node leads the quorum but its controller is still activating, then the request runs here rather than being forwarded to itself", async () => {
    const { raft, controller } = voter();
    raft.becomeLeader();
    assert.equal(controller.isActive, false);
    const channel = new RecordingChannel();
    const forwarding = new ForwardingManager(localId, controller, () => localId, channel);

    const answer = forwarding.route(Apis.CreateTopics, request, async (local) => ({
      throttleTimeMs: 0,
      topics: await local.createTopics([], false),
    }));
    await waitFor(() => raft.pendingCount === 1, { message: "the activation record proposed" });
    raft.commit();

    assert.deepEqual(await answer, { throttleTimeMs: 0, topics: [] });
    assert.deepEqual(channel.sent, []);
  });

  it("when the node it names as active controller is no longer leading, then the request is forwarded and not run on a stale image", async () => {
    const { raft, controller } = voter();
    raft.becomeLeader();
    await waitFor(() => raft.pendingCount === 1, { message: "the activation record proposed" });
    raft.commit();
    await waitFor(() => controller.isActive, { message: "active" });
    raft.loseLeadership();
    const channel = new RecordingChannel();
    const forwarding = new ForwardingManager(localId, controller, () => 2, channel);

    await forwarding.route(Apis.CreateTopics, request, () => assert.fail("must not run here"));

    assert.deepEqual(
      channel.sent.map((s) => s.api),
      ["CreateTopics"],
    );
  });

  it("when no controller is known yet, then the request goes to the channel, which waits for one", async () => {
    const { controller } = voter();
    const channel = new RecordingChannel();
    const forwarding = new ForwardingManager(localId, controller, () => null, channel);

    await forwarding.route(Apis.CreatePartitions, { topics: [], timeoutMs: 1000, validateOnly: false }, () =>
      assert.fail("must not run here"),
    );

    assert.deepEqual(
      channel.sent.map((s) => s.api),
      ["CreatePartitions"],
    );
  });
  it("when no controller answers a forwarded request within its timeout, then it is answered REQUEST_TIMED_OUT with the reason, not rejected", async () => {
    const asked: { timeoutMs?: number }[] = [];
    const unavailable: ControllerChannel = {
      send: (_api, _request, options = {}) => {
        asked.push(options);
        return Promise.reject(new ControllerUnavailableError("CreateTopics got no controller's answer"));
      },
      close: () => {},
    };
    const forwarding = new ForwardingManager(localId, undefined, () => null, unavailable);

    const answer = await forwarding.route(Apis.CreateTopics, request, () => assert.fail("must not run here"), {
      timeoutMs: request.timeoutMs,
      answer: (errorCode, errorMessage) => ({
        throttleTimeMs: 0,
        topics: [{ name: "orders", errorCode, errorMessage }],
      }),
    });

    assert.deepEqual(answer, {
      throttleTimeMs: 0,
      topics: [
        {
          name: "orders",
          errorCode: ErrorCode.REQUEST_TIMED_OUT,
          errorMessage: "CreateTopics got no controller's answer",
        },
      ],
    });
    assert.deepEqual(
      asked,
      [{ timeoutMs: request.timeoutMs }],
      "the channel waits no longer than the request's timeout",
    );
  });
});
