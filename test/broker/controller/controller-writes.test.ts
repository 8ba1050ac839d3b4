import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ControllerError, NotControllerError } from "../../../broker/controller/controller-result.ts";
import { ControllerWrites } from "../../../broker/controller/controller-writes.ts";
import type { ControllerTimers } from "../../../broker/controller/periodic-task-control.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { encodeMetadataRecord } from "../../../broker/protocol/metadata-records/serde.ts";
import { silentLogger } from "../../../broker/server/logger.ts";
import { MetadataLoader } from "../../../broker/server/metadata/metadata-loader.ts";
import { registerBrokerRecord } from "./cluster-fixture.ts";
import { FakeRaft } from "./fake-raft.ts";

/** One-shot timers the test fires by hand; periodic ones are not used here. */
class OnceTimers implements ControllerTimers {
  readonly pending = new Set<() => void>();

  every(): () => void {
    throw new Error("writes set no periodic timer");
  }

  after(_ms: number, task: () => void): () => void {
    this.pending.add(task);
    return () => this.pending.delete(task);
  }

  fireAll(): void {
    for (const task of this.pending) {
      this.pending.delete(task);
      task();
    }
  }
}

/** Lets every pending promise callback run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function isDone(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await settle();
  return done;
}

/** Writes over a fake Raft node that leads; the controller's part (active flag, renounce) is the test's. */
function setup(requestTimeoutMs?: number) {
  const raft = new FakeRaft();
  const loader = new MetadataLoader(raft);
  const timers = new OnceTimers();
  const control = { active: true, failures: [] as unknown[] };
  const writes: ControllerWrites = new ControllerWrites({
    propose: (records) => raft.propose(records),
    committed: loader,
    encode: encodeMetadataRecord,
    log: silentLogger,
    timers,
    requestTimeoutMs,
    isActive: () => control.active,
    onProposalFailed: (error) => {
      control.failures.push(error);
      writes.revert();
    },
  });
  raft.becomeLeader();
  /** A write that registers `brokerId` and answers whether the image it was computed on had `seen` registered. */
  const register = (brokerId: number, seen?: number) =>
    writes.write(`register ${brokerId}`, (image) => ({
      records: [registerBrokerRecord(brokerId, BigInt(brokerId))],
      response: seen === undefined ? true : image.broker(seen) !== undefined,
    }));
  return { raft, loader, timers, control, writes, register };
}

describe("ControllerWrites", () => {
  it("when writes follow each other before any commit, then each sees the records of the ones before, and all are answered once committed", async () => {
    const { raft, loader, writes, register } = setup();
    const first = register(1);
    const second = register(2, 1);
    await settle();
    assert.notEqual(writes.latest.broker(2), undefined, "the latest image has the uncommitted records");
    assert.equal(loader.image.broker(1), undefined);
    assert.equal(await isDone(first), false);

    raft.commit();
    assert.equal(await first, true);
    assert.equal(await second, true);
    await settle();
    assert.equal(writes.latest, loader.image, "nothing in flight: the latest image is the committed one");
  });

  it("when a write changes nothing, then it is answered only once everything proposed before it is committed", async () => {
    const { raft, writes, register } = setup();
    void register(1);
    const reading = writes.write("read", (image) => ({ records: [], response: image.broker(1) !== undefined }));
    assert.equal(await isDone(reading), false);
    raft.commit();
    assert.equal(await reading, true);
  });

  it("when its records are committed, then the write's afterCommit gets the offset of its last record", async () => {
    const { raft, writes } = setup();
    const offsets: bigint[] = [];
    const answer = writes.write("two records", () => ({
      records: [registerBrokerRecord(1, 1n), registerBrokerRecord(2, 2n)],
      response: "done",
      afterCommit: (offset) => offsets.push(offset),
    }));
    await settle();
    raft.commit();
    assert.equal(await answer, "done");
    assert.deepEqual(offsets, [2n], "offset 0 is the leader-change batch; the two records are 1 and 2");
  });

  it("when the controller is not active, then a write fails with NOT_CONTROLLER and proposes nothing", async () => {
    const { raft, control, register } = setup();
    control.active = false;
    await assert.rejects(register(1), NotControllerError);
    assert.equal(raft.proposals, 0);
  });

  it("when computing a write throws, then it fails with UNKNOWN_SERVER_ERROR and the next write still runs", async () => {
    const { raft, writes, register } = setup();
    const failing = writes.write("broken", () => {
      throw new Error("bug");
    });
    await assert.rejects(
      failing,
      (error) => error instanceof ControllerError && error.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR,
    );
    const next = register(1);
    await settle();
    raft.commit();
    assert.equal(await next, true);
  });

  it("when a proposal fails, then the controller is told once, and the writes waiting on it fail with NOT_CONTROLLER", async () => {
    const { raft, loader, control, writes, register } = setup();
    const first = register(1);
    const second = register(2);
    await settle();
    raft.failPending();
    await assert.rejects(first, NotControllerError);
    await assert.rejects(second, NotControllerError);
    assert.equal(control.failures.length, 1);
    assert.equal(writes.latest, loader.image, "uncommitted records are forgotten");
  });

  it("when the controller reverts with writes in flight, then they fail with NOT_CONTROLLER even if their records commit later", async () => {
    const { raft, control, writes, register } = setup();
    const inFlight = register(1);
    await settle();
    const generation = writes.generation;
    writes.revert();
    assert.equal(writes.generation, generation + 1);
    assert.equal(writes.latest.broker(1), undefined);

    raft.commit();
    await assert.rejects(inFlight, NotControllerError);
    await settle();
    assert.equal(writes.latest.broker(1), undefined, "a commit of an older generation does not move the latest image");
    assert.deepEqual(control.failures, []);
  });

  it("when a request timeout is set and nothing commits in time, then REQUEST_TIMED_OUT; an answered write leaves no timer", async () => {
    const { raft, timers, register } = setup(5000);
    const answered = register(1);
    await settle();
    raft.commit();
    assert.equal(await answered, true);
    assert.equal(timers.pending.size, 0);

    const stuck = register(2);
    await settle();
    timers.fireAll();
    await assert.rejects(
      stuck,
      (error) => error instanceof ControllerError && error.errorCode === ErrorCode.REQUEST_TIMED_OUT,
    );
  });
});
