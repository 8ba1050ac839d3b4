import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type BrokerRegistrationRequestData,
  ClusterControl,
  nextBrokerEpoch,
} from "../../../broker/controller/cluster-control.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import type { MetadataRecord } from "../../../broker/protocol/metadata-records/serde.ts";
import { MetadataImage } from "../../../broker/server/metadata/metadata-image.ts";
import { commit, incarnationOf, withTopic } from "./cluster-fixture.ts";

const sessionTimeoutMs = 9000;

function setup() {
  const clock = { now: 0 };
  const control = new ClusterControl(
    { clusterId: "cluster-a", sessionTimeoutMs, uncleanLeaderElection: false },
    () => clock.now,
  );
  return { clock, control };
}

function registration(brokerId: number, generation = 0): BrokerRegistrationRequestData {
  return {
    brokerId,
    clusterId: "cluster-a",
    incarnationId: incarnationOf(brokerId, generation),
    listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 9092 + brokerId, securityProtocol: 0 }],
    features: [],
    rack: null,
  };
}

/** Registers, commits and unfences the brokers through the control itself, as the controller would. */
function liveCluster(control: ClusterControl, ids: number[]): MetadataImage {
  let image = MetadataImage.EMPTY;
  for (const id of ids) image = commit(image, control.registerBroker(image, registration(id)).records);
  for (const id of ids) {
    const broker = image.broker(id)!;
    const beat = control.heartbeat(image, image, {
      brokerId: id,
      brokerEpoch: broker.epoch,
      currentMetadataOffset: image.offset,
      wantFence: false,
      wantShutDown: false,
    });
    image = commit(image, beat.records);
  }
  return image;
}

const heartbeat = (
  image: MetadataImage,
  brokerId: number,
  more: Partial<Parameters<ClusterControl["heartbeat"]>[2]> = {},
) => ({
  brokerId,
  brokerEpoch: image.broker(brokerId)?.epoch ?? -1n,
  currentMetadataOffset: image.offset,
  wantFence: false,
  wantShutDown: false,
  ...more,
});

describe("ClusterControl registration", () => {
  it("when a new broker registers, then it gets a fresh epoch past every epoch and offset so far, fenced, with its endpoint", () => {
    const { control } = setup();
    const image = commit(commit(MetadataImage.EMPTY, [{ type: "NoOpRecord", version: 0, data: {} }]), [
      { type: "NoOpRecord", version: 0, data: {} },
    ]);
    const { records, response } = control.registerBroker(image, registration(1));
    assert.deepEqual(response, { errorCode: ErrorCode.NONE, brokerEpoch: 2n });
    assert.equal(records.length, 1);
    const after = commit(image, records);
    const broker = after.broker(1)!;
    assert.deepEqual([broker.epoch, broker.fenced, broker.port, broker.registrationOffset], [2n, true, 9093, 2n]);
    assert.equal(nextBrokerEpoch(after), 3n);
  });

  it("when the cluster id is another cluster's, then INCONSISTENT_CLUSTER_ID", () => {
    const { control } = setup();
    const { records, response } = control.registerBroker(MetadataImage.EMPTY, {
      ...registration(1),
      clusterId: "other",
    });
    assert.deepEqual([response.errorCode, response.brokerEpoch, records], [ErrorCode.INCONSISTENT_CLUSTER_ID, -1n, []]);
  });

  it("when the same incarnation registers again, then its epoch and state are kept", () => {
    const { control } = setup();
    const image = liveCluster(control, [1]);
    const { records, response } = control.registerBroker(image, registration(1));
    assert.equal(response.brokerEpoch, image.broker(1)!.epoch);
    const after = commit(image, records);
    assert.equal(after.broker(1)!.fenced, false);
  });

  it("when another incarnation registers while the session is alive, then DUPLICATE_BROKER_REGISTRATION; once it expired, a new epoch and the old one's leaderships move", () => {
    const { clock, control } = setup();
    let image = withTopic(liveCluster(control, [1, 2]), "orders", [[1, 2]]);
    assert.equal(
      control.registerBroker(image, registration(1, 1)).response.errorCode,
      ErrorCode.DUPLICATE_BROKER_REGISTRATION,
    );
    clock.now += sessionTimeoutMs + 1;
    const before = image.broker(1)!.epoch;
    const { records, response } = control.registerBroker(image, registration(1, 1));
    assert.equal(response.errorCode, ErrorCode.NONE);
    assert.ok(response.brokerEpoch > before);
    assert.deepEqual(
      records.map((r: MetadataRecord) => r.type),
      ["PartitionChangeRecord", "RegisterBrokerRecord"],
    );
    image = commit(image, records);
    assert.deepEqual([image.partition("orders", 0)!.leader, image.partition("orders", 0)!.isr], [2, [2]]);
    assert.equal(image.broker(1)!.fenced, true);
  });

  it("when a new incarnation registers with a controller that became active and never heard the old one, then it is taken at once; once the old one heartbeats, it is refused", () => {
    const { control } = setup();
    const image = withTopic(liveCluster(control, [1, 2]), "orders", [[1, 2]]);
    control.activate(image);
    const taken = control.registerBroker(image, registration(1, 1));
    assert.equal(taken.response.errorCode, ErrorCode.NONE);
    const after = commit(image, taken.records);
    assert.deepEqual([after.partition("orders", 0)!.leader, after.broker(1)!.fenced], [2, true]);

    const { control: other } = setup();
    other.activate(image);
    other.heartbeat(image, image, heartbeat(image, 1));
    assert.equal(
      other.registerBroker(image, registration(1, 1)).response.errorCode,
      ErrorCode.DUPLICATE_BROKER_REGISTRATION,
    );
  });
});

describe("ClusterControl heartbeats", () => {
  it("when the epoch is not the broker's, then STALE_BROKER_EPOCH", () => {
    const { control } = setup();
    const image = liveCluster(control, [1]);
    const { response } = control.heartbeat(image, image, heartbeat(image, 1, { brokerEpoch: 3n }));
    assert.equal(response.errorCode, ErrorCode.STALE_BROKER_EPOCH);
    assert.equal(control.heartbeat(image, image, heartbeat(image, 7)).response.errorCode, ErrorCode.STALE_BROKER_EPOCH);
  });

  it("when a fenced broker has not applied its registration, then it stays fenced; once it has, it is unfenced", () => {
    const { control } = setup();
    const image = commit(MetadataImage.EMPTY, control.registerBroker(MetadataImage.EMPTY, registration(1)).records);
    const behind = control.heartbeat(image, image, heartbeat(image, 1, { currentMetadataOffset: -1n }));
    assert.deepEqual(behind.response, {
      errorCode: ErrorCode.NONE,
      isCaughtUp: false,
      isFenced: true,
      shouldShutDown: false,
    });
    assert.deepEqual(behind.records, []);
    const uncommitted = control.heartbeat(image, MetadataImage.EMPTY, heartbeat(image, 1));
    assert.equal(uncommitted.response.isCaughtUp, false, "a registration not committed yet cannot be caught up with");
    const caughtUp = control.heartbeat(image, image, heartbeat(image, 1));
    assert.deepEqual(caughtUp.response, {
      errorCode: ErrorCode.NONE,
      isCaughtUp: true,
      isFenced: false,
      shouldShutDown: false,
    });
    assert.equal(commit(image, caughtUp.records).broker(1)!.fenced, false);
  });

  it("when an unfenced broker wants to be fenced, then it is fenced; when it wants to shut down and leads nothing, then at once", () => {
    const { control } = setup();
    const image = liveCluster(control, [1, 2]);
    const fence = control.heartbeat(image, image, heartbeat(image, 1, { wantFence: true }));
    assert.equal(fence.response.isFenced, true);
    assert.equal(commit(image, fence.records).broker(1)!.fenced, true);
    const leave = control.heartbeat(image, image, heartbeat(image, 2, { wantShutDown: true }));
    assert.deepEqual([leave.response.isFenced, leave.response.shouldShutDown], [true, true]);
  });

  it("when a leader wants to shut down, then its leaderships move first and it may stop once every active broker has applied that", () => {
    const { control } = setup();
    let image = withTopic(liveCluster(control, [1, 2]), "orders", [[1, 2]]);
    const start = control.heartbeat(image, image, heartbeat(image, 1, { wantShutDown: true }));
    assert.deepEqual([start.response.isFenced, start.response.shouldShutDown], [false, false]);
    image = commit(image, start.records);
    assert.equal(image.broker(1)!.inControlledShutdown, true);
    assert.equal(image.partition("orders", 0)!.leader, 2);
    const pending = control.heartbeat(image, image, heartbeat(image, 1, { wantShutDown: true }));
    assert.equal(pending.response.shouldShutDown, false, "not before its batch is committed");
    start.afterCommit!(image.offset);
    const waiting = control.heartbeat(image, image, heartbeat(image, 1, { wantShutDown: true }));
    assert.equal(waiting.response.shouldShutDown, false, "broker 2 has not applied the move yet");
    control.heartbeat(image, image, heartbeat(image, 2));
    const done = control.heartbeat(image, image, heartbeat(image, 1, { wantShutDown: true }));
    assert.deepEqual([done.response.isFenced, done.response.shouldShutDown], [true, true]);
    assert.equal(commit(image, done.records).broker(1)!.fenced, true);
  });
  it("when a broker that began a controlled shutdown was fenced, then it stays fenced until it registers anew", async () => {
    const { clock, control } = setup();
    let image = withTopic(liveCluster(control, [1, 2]), "orders", [[1, 2]]);
    image = commit(image, control.heartbeat(image, image, heartbeat(image, 1, { wantShutDown: true })).records);
    clock.now += sessionTimeoutMs + 1;
    image = commit(image, control.fenceStaleBroker(image, 1).records);
    const back = control.heartbeat(image, image, heartbeat(image, 1));
    assert.deepEqual([back.response.isFenced, back.records], [true, []]);
    image = commit(image, control.registerBroker(image, registration(1, 1)).records);
    const anew = control.heartbeat(image, image, heartbeat(image, 1));
    assert.equal(anew.response.isFenced, false);
  });
});

describe("ClusterControl sessions", () => {
  it("when a broker sends no heartbeat for broker.session.timeout.ms, then it is stale and fencing it moves its leaderships", () => {
    const { clock, control } = setup();
    let image = withTopic(liveCluster(control, [1, 2]), "orders", [[1, 2]]);
    clock.now += sessionTimeoutMs;
    assert.deepEqual(control.staleBrokers(image), [], "exactly the timeout is still a valid session");
    control.heartbeat(image, image, heartbeat(image, 2));
    clock.now += 1;
    assert.deepEqual(control.staleBrokers(image), [1]);
    const { records, response } = control.fenceStaleBroker(image, 1);
    assert.equal(response, true);
    image = commit(image, records);
    assert.deepEqual([image.broker(1)!.fenced, image.partition("orders", 0)!.leader], [true, 2]);
    assert.deepEqual(control.staleBrokers(image), []);
    assert.equal(control.fenceStaleBroker(image, 2).response, false);
  });

  it("when sessions are extended by a stall of the controller, then a broker silent through it is stale only a session after it, and no contact moves past now", () => {
    const { clock, control } = setup();
    const image = liveCluster(control, [1, 2]);
    clock.now += 12_000; // the controller could not run: no heartbeat was heard meanwhile
    control.heartbeat(image, image, heartbeat(image, 2)); // read right after the stall
    control.extendSessions(12_000);
    assert.deepEqual(control.staleBrokers(image), [], "the stall does not count against broker 1");
    clock.now += sessionTimeoutMs;
    assert.deepEqual(control.staleBrokers(image), []);
    clock.now += 1;
    assert.deepEqual(control.staleBrokers(image), [1, 2], "broker 2's contact was not moved past its heartbeat");
  });

  it("when the control is activated, then every registered broker gets a fresh session", () => {
    const { clock, control } = setup();
    const image = liveCluster(control, [1]);
    clock.now += sessionTimeoutMs * 2;
    control.activate(image);
    assert.deepEqual(control.staleBrokers(image), []);
  });

  it("when a broker is unregistered, then its registration goes; an unknown one gets BROKER_ID_NOT_REGISTERED", () => {
    const { control } = setup();
    const image = liveCluster(control, [1]);
    const { records, response } = control.unregisterBroker(image, 1);
    assert.equal(response, ErrorCode.NONE);
    assert.equal(commit(image, records).broker(1), undefined);
    assert.equal(control.unregisterBroker(image, 5).response, ErrorCode.BROKER_ID_NOT_REGISTERED);
  });
});
