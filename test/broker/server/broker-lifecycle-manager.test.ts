// A broker's membership of the cluster, against a real QuorumController served on a real socket
// (through the real NodeToControllerChannel): registration, unfencing once caught up, registering
// again when refused or forgotten, and controlled shutdown.
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import type { ApiDefinition } from "../../../broker/protocol/apis.ts";
import { BrokerLifecycleManager } from "../../../broker/server/broker-lifecycle-manager.ts";
import { silentLogger } from "../../../broker/server/logger.ts";
import { type ControllerChannel, NodeToControllerChannel } from "../../../broker/server/node-to-controller-channel.ts";
import { waitFor } from "../../helpers/wait.ts";
import { creatable } from "../controller/cluster-fixture.ts";
import { type ControllerNode, recordingLogger, registerLiveBroker, startControllerNode } from "./controller-node.ts";

const brokerId = 5;

interface Member {
  manager: BrokerLifecycleManager;
  log: ReturnType<typeof recordingLogger>;
}

/** A lifecycle manager of broker 5 talking to `node`, heartbeating every 10 ms; stopped after the test. */
function memberOf(
  t: TestContext,
  node: ControllerNode,
  metadataOffset: () => bigint = () => node.loader.lastAppliedOffset,
): Member {
  const log = recordingLogger();
  const channel = new NodeToControllerChannel({
    localId: brokerId,
    voters: [node.address],
    quorum: { leaderId: node.address.nodeId, onLeaderChange: () => () => {} },
    requestTimeoutMs: 5_000,
    retryBackoffMs: 10,
    log,
  });
  const manager = new BrokerLifecycleManager({
    brokerId,
    clusterId: "cluster-a",
    host: "127.0.0.1",
    port: 9097,
    rack: "rack-1",
    channel,
    metadataOffset,
    heartbeatIntervalMs: 10,
    log,
  });
  t.after(() => {
    manager.stop();
    channel.close();
  });
  return { manager, log };
}

/** A controller that answers only when the test says; it notes how many requests were ever in flight at once. */
class HeldChannel implements ControllerChannel {
  readonly pending: { api: string; request: unknown; answer(response: unknown): void }[] = [];
  mostInFlight = 0;

  send<Req, Res>(api: ApiDefinition<Req, Res>, request: Req): Promise<Res> {
    return new Promise<Res>((resolve) => {
      const entry = {
        api: api.name,
        request,
        answer: (response: unknown) => {
          this.pending.splice(this.pending.indexOf(entry), 1);
          resolve(response as Res);
        },
      };
      this.pending.push(entry);
      this.mostInFlight = Math.max(this.mostInFlight, this.pending.length);
    });
  }

  close(): void {}
}

/** Lets every timer already due run (a 0 ms timer set now fires after those set before it). */
const timersDue = () => new Promise((resolve) => setTimeout(resolve, 0));

const said = (log: Member["log"], message: string) => log.lines.some((line) => line.message === message);

describe("BrokerLifecycleManager", () => {
  it("when started, then it registers with its address and is unfenced once it has applied the log up to its registration", async (t) => {
    const node = await startControllerNode(t);
    const { manager } = memberOf(t, node);
    assert.equal(manager.phase, "starting");

    manager.start();
    await manager.unfenced;

    assert.equal(manager.phase, "running");
    const registered = node.loader.image.broker(brokerId)!;
    assert.equal(manager.brokerEpoch, registered.epoch);
    assert.equal(registered.fenced, false);
    assert.deepEqual([registered.host, registered.port, registered.rack], ["127.0.0.1", 9097, "rack-1"]);
    assert.ok(registered.incarnationId.equals(manager.incarnationId));
  });

  it("when it has not applied the log up to its registration, then it stays fenced and keeps heartbeating", async (t) => {
    const node = await startControllerNode(t);
    let caughtUp = false;
    const { manager } = memberOf(t, node, () => (caughtUp ? node.loader.lastAppliedOffset : -1n));
    manager.start();

    await waitFor(() => manager.phase === "fenced" && node.count("BrokerHeartbeat") >= 3, {
      message: "registered and heartbeating while fenced",
    });
    assert.equal(node.loader.image.broker(brokerId)!.fenced, true);
    caughtUp = true;

    await manager.unfenced;
    assert.equal(node.loader.image.broker(brokerId)!.fenced, false);
  });

  it("when its registration is refused because the previous incarnation's session lives, then it asks again until that session is over", async (t) => {
    const node = await startControllerNode(t);
    const previousEpoch = await registerLiveBroker(node, brokerId);
    const { manager, log } = memberOf(t, node);
    manager.start();

    await waitFor(() => node.count("BrokerRegistration") >= 2, { message: "asked twice" });
    assert.equal(manager.phase, "registering");
    assert.ok(said(log, "registration refused; trying again"));
    assert.equal(
      log.lines.find((line) => line.message === "registration refused; trying again")!.fields!.error,
      "DUPLICATE_BROKER_REGISTRATION",
    );
    node.clock.now += 10_000; // past broker.session.timeout.ms

    await manager.unfenced;
    assert.ok(manager.brokerEpoch > previousEpoch, "a new incarnation gets a new epoch");
  });

  it("when the controller has forgotten its registration, then it registers again and is unfenced in a new epoch", async (t) => {
    const node = await startControllerNode(t);
    const { manager } = memberOf(t, node);
    manager.start();
    await manager.unfenced;
    const firstEpoch = manager.brokerEpoch;

    await node.controller.unregisterBroker(brokerId);

    await waitFor(() => manager.phase === "running" && manager.brokerEpoch !== firstEpoch, {
      message: () => `registered again (phase ${manager.phase}, epoch ${manager.brokerEpoch})`,
    });
    assert.equal(node.loader.image.broker(brokerId)!.epoch, manager.brokerEpoch);
    assert.equal(node.count("BrokerRegistration"), 2);
  });

  it("when it shuts down in a controlled way, then its leaderships move first and the controller lets it go", async (t) => {
    const node = await startControllerNode(t);
    const { manager, log } = memberOf(t, node);
    manager.start();
    await manager.unfenced;
    const [created] = await node.controller.createTopics([creatable("orders")], false);
    assert.equal(created!.errorCode, 0);
    assert.equal(node.loader.image.partition("orders", 0)!.leader, brokerId);

    await manager.controlledShutdown(30_000);

    assert.equal(manager.phase, "stopped");
    assert.equal(node.loader.image.hasLeaderships(brokerId), false);
    assert.equal(node.loader.image.broker(brokerId)!.fenced, true);
    assert.equal(said(log, "controlled shutdown not confirmed in time; stopping anyway"), false);
  });

  it("when the controller does not let it go before the deadline, then it stops anyway and says so", async (t) => {
    const node = await startControllerNode(t);
    const { manager, log } = memberOf(t, node);
    manager.start();
    await manager.unfenced;
    await node.stop();

    await manager.controlledShutdown(50);

    assert.equal(manager.phase, "stopped");
    assert.ok(said(log, "controlled shutdown not confirmed in time; stopping anyway"));
  });

  it("when asked to shut down before it ever registered, then it just stops", async (t) => {
    const node = await startControllerNode(t, { active: false });
    const { manager } = memberOf(t, node);
    manager.start();
    await waitFor(() => node.count("BrokerRegistration") >= 1, { message: "tried to register" });

    await manager.controlledShutdown(30_000);

    assert.equal(manager.phase, "stopped");
    assert.equal(node.count("BrokerHeartbeat"), 0);
  });

  it("when a controlled shutdown is asked while a heartbeat is in flight, then the shutdown heartbeat follows it, never beside it", async (t) => {
    const channel = new HeldChannel();
    const manager = new BrokerLifecycleManager({
      brokerId,
      clusterId: "cluster-a",
      host: "127.0.0.1",
      port: 9097,
      rack: null,
      channel,
      metadataOffset: () => 10n,
      heartbeatIntervalMs: 10,
      log: silentLogger,
    });
    t.after(() => manager.stop());
    const ok = { throttleTimeMs: 0, errorCode: 0, isCaughtUp: true, isFenced: false, shouldShutDown: false };
    manager.start();
    await waitFor(() => channel.pending.length === 1, { message: "registering" });
    channel.pending[0]!.answer({ throttleTimeMs: 0, errorCode: 0, brokerEpoch: 4n });
    await waitFor(() => channel.pending.length === 1, { message: "first heartbeat" });
    channel.pending[0]!.answer(ok);
    await manager.unfenced;
    await waitFor(() => channel.pending.length === 1, { message: "a heartbeat in flight" });
    const inFlight = channel.pending[0]!;

    const stopping = manager.controlledShutdown(30_000);
    await timersDue();
    assert.equal(channel.pending.length, 1, "nothing sent beside the heartbeat in flight");
    inFlight.answer(ok);
    await waitFor(() => channel.pending.length === 1, { message: "the shutdown heartbeat" });
    const shutdown = channel.pending[0]!;
    assert.equal((shutdown.request as { wantShutDown: boolean }).wantShutDown, true);
    shutdown.answer({ ...ok, isFenced: true, shouldShutDown: true });

    await stopping;
    assert.equal(manager.phase, "stopped");
    assert.equal(channel.mostInFlight, 1);
  });
});
