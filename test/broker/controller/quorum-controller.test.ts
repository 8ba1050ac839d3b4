import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { controllerErrorCode, NotControllerError } from "../../../broker/controller/controller-result.ts";
import type { ControllerTimers } from "../../../broker/controller/periodic-task-control.ts";
import {
  type ControllerConfig,
  controllerConfigFrom,
  QuorumController,
} from "../../../broker/controller/quorum-controller.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { parseArgs } from "../../../broker/server/config.ts";
import { MetadataLoader } from "../../../broker/server/metadata/metadata-loader.ts";
import { creatable, incarnationOf, topicIdOf } from "./cluster-fixture.ts";
import { FakeRaft } from "./fake-raft.ts";

/** Timers the test fires by hand. */
class ManualTimers implements ControllerTimers {
  readonly tasks = new Set<{ ms: number; task: () => void }>();
  readonly once = new Set<{ ms: number; task: () => void }>();

  every(ms: number, task: () => void): () => void {
    const entry = { ms, task };
    this.tasks.add(entry);
    return () => this.tasks.delete(entry);
  }

  after(ms: number, task: () => void): () => void {
    const entry = { ms, task };
    this.once.add(entry);
    return () => this.once.delete(entry);
  }

  fireOnce(ms: number): void {
    for (const entry of this.once) {
      if (entry.ms !== ms) continue;
      this.once.delete(entry);
      entry.task();
    }
  }

  fire(ms: number): void {
    for (const entry of this.tasks) if (entry.ms === ms) entry.task();
  }
}

/** Lets every pending promise callback run (no time passes: only the queue of callbacks drains). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Lets `ms` pass on the test's clock as real time passes: the 1-second session timer fires on time along the way. */
async function elapse(clock: { now: number }, timers: ManualTimers, ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= 1000) {
    clock.now += Math.min(1000, left);
    timers.fire(1000);
    await settle();
  }
}

/** Settles and reports whether the promise is done, without waiting for it. */
async function isDone(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await settle();
  return done;
}

const config: ControllerConfig = {
  sessionTimeoutMs: 9000,
  defaultPartitions: 1,
  defaultReplicationFactor: 1,
  uncleanLeaderElection: false,
  autoLeaderRebalance: true,
  leaderImbalanceCheckIntervalMs: 300_000,
};

function setup(more: Partial<ControllerConfig> = {}, requestTimeoutMs?: number) {
  const raft = new FakeRaft();
  const loader = new MetadataLoader(raft);
  const timers = new ManualTimers();
  const clock = { now: 0 };
  let ids = 0;
  const controller = new QuorumController({
    clusterId: "cluster-a",
    raft,
    committed: loader,
    config: { ...config, ...more },
    timers,
    now: () => clock.now,
    randomInt: () => 0,
    newTopicId: () => topicIdOf(`topic-${ids++}`),
    requestTimeoutMs,
  });
  /** Becomes leader and commits the activation record. */
  const activate = async () => {
    raft.becomeLeader();
    await settle();
    raft.commit();
    await settle();
    assert.equal(controller.isActive, true);
  };
  /** Commits whatever is proposed, then awaits the answer. */
  const committed = async <T>(promise: Promise<T>): Promise<T> => {
    await settle();
    raft.commit();
    return promise;
  };
  /** Registers a broker and unfences it. */
  const liveBroker = async (brokerId: number) => {
    const { brokerEpoch } = await committed(
      controller.registerBroker({
        brokerId,
        clusterId: "cluster-a",
        incarnationId: incarnationOf(brokerId),
        listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 9092 + brokerId, securityProtocol: 0 }],
        features: [],
        rack: null,
      }),
    );
    const reply = await committed(
      controller.brokerHeartbeat({
        brokerId,
        brokerEpoch,
        currentMetadataOffset: loader.lastAppliedOffset,
        wantFence: false,
        wantShutDown: false,
      }),
    );
    assert.equal(reply.isFenced, false);
    return brokerEpoch;
  };
  return { raft, loader, timers, clock, controller, activate, committed, liveBroker };
}

describe("QuorumController", () => {
  it("when this node is not the Raft leader, then requests fail with NOT_CONTROLLER", async () => {
    const { controller } = setup();
    await assert.rejects(controller.createTopics([creatable("t")], false), NotControllerError);
  });

  it("when it becomes leader, then requests wait until its activation record is committed, and are answered only once their own records are", async () => {
    const { raft, loader, controller } = setup();
    raft.becomeLeader();
    const registering = controller.registerBroker({
      brokerId: 3,
      clusterId: "cluster-a",
      incarnationId: incarnationOf(3),
      listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 9095, securityProtocol: 0 }],
      features: [],
      rack: null,
    });
    await settle();
    assert.equal(controller.isActive, false);
    assert.equal(raft.pendingCount, 1, "only the activation record is proposed");
    raft.commit();
    await settle();
    assert.equal(controller.isActive, true);
    assert.equal(await isDone(registering), false, "proposed, not committed");
    assert.equal(loader.image.broker(3), undefined);
    assert.ok(controller.image.broker(3), "the latest image has it already");
    raft.commit();
    const { errorCode, brokerEpoch } = await registering;
    assert.equal(errorCode, ErrorCode.NONE);
    assert.equal(loader.image.broker(3)!.epoch, brokerEpoch);
  });

  it("when requests follow each other before any commit, then each sees the records of the ones before", async () => {
    const { raft, loader, controller, activate, liveBroker } = setup();
    await activate();
    await liveBroker(0);
    const first = controller.createTopics([creatable("orders")], false);
    const second = controller.createTopics([creatable("orders")], false);
    await settle();
    assert.equal(raft.pendingCount, 1, "the second changes nothing, so proposes nothing");
    assert.equal(await isDone(second), false, "and waits for the first to be committed");
    raft.commit();
    assert.equal((await first)[0]!.errorCode, ErrorCode.NONE);
    assert.equal((await second)[0]!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
    assert.equal(loader.image.topic("orders")!.partitions[0]!.leader, 0);
  });

  it("when leadership is lost with requests pending, then they fail with NOT_CONTROLLER and the uncommitted records are forgotten", async () => {
    const { raft, loader, controller, activate, liveBroker } = setup();
    await activate();
    await liveBroker(0);
    const pending = controller.createTopics([creatable("lost")], false);
    await settle();
    raft.loseLeadership();
    await assert.rejects(pending, NotControllerError);
    assert.equal(controller.isActive, false);
    assert.equal(controller.image.topic("lost"), undefined);
    await assert.rejects(controller.createTopics([creatable("t")], false), NotControllerError);
    assert.equal(loader.image.topic("lost"), undefined);
  });

  it("when it becomes leader again, then it starts from the committed image and works", async () => {
    const { raft, controller, activate, committed, liveBroker } = setup();
    await activate();
    await liveBroker(0);
    raft.loseLeadership();
    await settle();
    await activate();
    const [result] = await committed(controller.createTopics([creatable("again")], false));
    assert.equal(result!.errorCode, ErrorCode.NONE);
    assert.equal(controller.image.broker(0)!.fenced, false);
  });

  it("when a proposal fails while this node still leads, then pending requests fail and the controller starts over from the committed image", async () => {
    const { raft, timers, controller, activate, committed, liveBroker } = setup();
    await activate();
    await liveBroker(0);
    const failing = controller.createTopics([creatable("failing")], false);
    await settle();
    raft.failPending();
    await assert.rejects(failing, NotControllerError);
    await settle();
    assert.equal(controller.isActive, false);
    // It starts over after a pause, not at once: a log that keeps failing must not spin.
    assert.equal(raft.pendingCount, 0, "no activation record before the backoff");
    timers.fireOnce(500);
    await settle();
    assert.equal(raft.pendingCount, 1, "a new activation record");
    raft.commit();
    await settle();
    assert.equal(controller.isActive, true);
    assert.equal(controller.image.topic("failing"), undefined);
    const [result] = await committed(controller.createTopics([creatable("failing")], false));
    assert.equal(result!.errorCode, ErrorCode.NONE);
  });

  it("when a request changes nothing, then it is answered once everything proposed before it is committed", async () => {
    const { raft, loader, controller, activate, liveBroker } = setup();
    await activate();
    const epoch = await liveBroker(0);
    const creating = controller.createTopics([creatable("orders")], false);
    const beat = controller.brokerHeartbeat({
      brokerId: 0,
      brokerEpoch: epoch,
      currentMetadataOffset: loader.lastAppliedOffset,
      wantFence: false,
      wantShutDown: false,
    });
    assert.equal(await isDone(beat), false);
    raft.commit();
    assert.deepEqual(await beat, {
      errorCode: ErrorCode.NONE,
      isCaughtUp: true,
      isFenced: false,
      shouldShutDown: false,
    });
    await creating;
  });

  it("when a broker's session runs out, then the session timer fences it and its leaderships move", async () => {
    const { raft, loader, clock, timers, controller, activate, committed, liveBroker } = setup();
    await activate();
    await liveBroker(0);
    const epoch1 = await liveBroker(1);
    await committed(controller.createTopics([creatable("orders", { replicationFactor: 2 })], false));
    const leader = loader.image.partition("orders", 0)!.leader;
    await elapse(clock, timers, 5000);
    await committed(
      controller.brokerHeartbeat({
        brokerId: 1,
        brokerEpoch: epoch1,
        currentMetadataOffset: loader.lastAppliedOffset,
        wantFence: false,
        wantShutDown: false,
      }),
    );
    await elapse(clock, timers, 4001);
    raft.commit();
    await settle();
    assert.equal(loader.image.broker(0)!.fenced, true);
    assert.equal(loader.image.broker(1)!.fenced, false);
    const partition = loader.image.partition("orders", 0)!;
    assert.equal(partition.leader, 1);
    assert.equal(partition.leaderEpoch, leader === 1 ? 0 : 1);
  });

  it("when the controller's process stalls past a session, then nobody is fenced for the stall, and a broker silent a session after it is", async () => {
    const { raft, loader, clock, timers, activate, liveBroker } = setup();
    await activate();
    await liveBroker(0);
    await elapse(clock, timers, 1000);
    // The event loop blocked for 14 s (a lone broker making thousands of partition logs): the
    // session timer fires once, 13 s late, before any heartbeat that waited could be read.
    clock.now += 14_000;
    timers.fire(1000);
    await settle();
    raft.commit();
    await settle();
    assert.equal(loader.image.broker(0)!.fenced, false);
    await elapse(clock, timers, 9000);
    raft.commit();
    await settle();
    assert.equal(loader.image.broker(0)!.fenced, true);
  });

  it("when the rebalance timer fires, then leaderships go back to preferred replicas", async () => {
    const { raft, loader, timers, controller, activate, committed, liveBroker } = setup();
    await activate();
    await liveBroker(0);
    const epoch1 = await liveBroker(1);
    await committed(controller.createTopics([creatable("orders", { numPartitions: 2, replicationFactor: 2 })], false));
    const ledBy1 = loader.image.partitionsLedBy(1).length;
    assert.equal(ledBy1, 1);
    // Broker 1 shuts down cleanly and comes back: its leadership went to broker 0.
    await committed(
      controller.brokerHeartbeat({
        brokerId: 1,
        brokerEpoch: epoch1,
        currentMetadataOffset: loader.lastAppliedOffset,
        wantFence: true,
        wantShutDown: false,
      }),
    );
    assert.equal(loader.image.partitionsLedBy(1).length, 0);
    await committed(
      controller.brokerHeartbeat({
        brokerId: 1,
        brokerEpoch: epoch1,
        currentMetadataOffset: loader.lastAppliedOffset,
        wantFence: false,
        wantShutDown: false,
      }),
    );
    // Back in the ISR (its leader asked), it is the preferred replica of one partition again.
    const [moved] = loader.image.partitionsLedBy(0).filter((p) => p.partition.replicas[0] === 1);
    await committed(
      controller.alterPartition(
        {
          brokerId: 0,
          brokerEpoch: loader.image.broker(0)!.epoch,
          topics: [
            {
              topicId: moved!.topic.topicId,
              partitions: [
                {
                  partitionIndex: moved!.partition.partition,
                  leaderEpoch: moved!.partition.leaderEpoch,
                  newIsr: [0, 1],
                  partitionEpoch: moved!.partition.partitionEpoch,
                },
              ],
            },
          ],
        },
        2,
      ),
    );
    timers.fire(300_000);
    await settle();
    raft.commit();
    await settle();
    assert.equal(loader.image.partitionsLedBy(1).length, 1);
  });

  it("when a request timeout is set and the quorum does not commit in time, then REQUEST_TIMED_OUT; answered requests leave no timer", async () => {
    const { raft, timers, controller, activate, committed, liveBroker } = setup({}, 5000);
    await activate();
    await liveBroker(0);
    assert.equal(timers.once.size, 0);
    const creating = controller.createTopics([creatable("slow")], false);
    await settle();
    timers.fireOnce(5000);
    await assert.rejects(creating, (error: unknown) => controllerErrorCode(error) === ErrorCode.REQUEST_TIMED_OUT);
    raft.commit();
    await settle();
    assert.ok(controller.image.topic("slow"), "the records may still be committed later");
    await committed(controller.deleteTopics(["slow"]));
  });

  it("when producer ids are allocated, then blocks follow each other through the log", async () => {
    const { controller, activate, committed, liveBroker } = setup();
    await activate();
    const epoch = await liveBroker(0);
    const first = await committed(controller.allocateProducerIds({ brokerId: 0, brokerEpoch: epoch }));
    const second = await committed(controller.allocateProducerIds({ brokerId: 0, brokerEpoch: epoch }));
    assert.deepEqual([first.producerIdStart, second.producerIdStart], [0n, 1000n]);
  });

  it("when the controller is closed, then pending and later requests fail with NOT_CONTROLLER and its timers stop", async () => {
    const { timers, controller, activate, liveBroker } = setup();
    await activate();
    await liveBroker(0);
    const pending = controller.deleteTopics(["x"]);
    controller.close();
    await assert.rejects(pending, NotControllerError);
    await assert.rejects(controller.electLeaders({ electionType: 0, topicPartitions: null }), NotControllerError);
    assert.equal(timers.tasks.size, 0);
  });

  it("when the broker's properties are read, then Kafka's names and defaults give the controller config", () => {
    assert.deepEqual(controllerConfigFrom(parseArgs([])), {
      sessionTimeoutMs: 9000,
      defaultPartitions: 1,
      defaultReplicationFactor: 1,
      uncleanLeaderElection: false,
      autoLeaderRebalance: true,
      leaderImbalanceCheckIntervalMs: 300_000,
    });
    assert.equal(
      controllerConfigFrom(parseArgs(["--config", "unclean.leader.election.enable=true"])).uncleanLeaderElection,
      true,
    );
  });
});
