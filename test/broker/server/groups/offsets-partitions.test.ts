import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { OffsetsPartitions } from "../../../../broker/server/groups/offsets-partitions.ts";
import { silentLogger } from "../../../../broker/server/logger.ts";
import { waitFor } from "../../../helpers/wait.ts";

/** Partitions whose loading the test releases by hand, and a record of what was loaded and unloaded. */
function setup() {
  const gates = new Map<number, (loadable: boolean) => void>();
  const events: string[] = [];
  const partitions = new OffsetsPartitions({
    awaitLoadable: (partition) =>
      new Promise<boolean>((resolve) => {
        gates.set(partition, resolve);
      }),
    load: (partition) => {
      events.push(`load ${partition}`);
      return { groups: 0, offsets: 0 };
    },
    unload: async (partition) => {
      events.push(`unload ${partition}`);
      return 0;
    },
    now: () => 0,
    log: silentLogger,
  });
  const release = async (partition: number, loadable = true) => {
    for (let i = 0; i < 100 && !gates.has(partition); i += 1) await new Promise((r) => setImmediate(r));
    gates.get(partition)!(loadable);
    gates.delete(partition);
    for (let i = 0; i < 5; i += 1) await new Promise((r) => setImmediate(r));
  };
  return { partitions, events, release };
}

describe("OffsetsPartitions", () => {
  it("when not started, then every request waits; once started and the partition loaded, its groups are served", async () => {
    const { partitions, events, release } = setup();
    partitions.onElection(3, 0);
    assert.equal(partitions.lifecycleError(), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    const started = partitions.startup();
    assert.equal(partitions.lifecycleError(), ErrorCode.NONE);
    assert.equal(partitions.partitionError(3), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal(partitions.anyLoading, true);
    await release(3);
    await started;
    assert.deepEqual(events, ["load 3"]);
    assert.equal(partitions.partitionError(3), ErrorCode.NONE);
    assert.equal(partitions.partitionError(4), ErrorCode.NOT_COORDINATOR);
    assert.deepEqual(partitions.ledPartitions(), [{ partition: 3, leaderEpoch: 0, loaded: true }]);
  });

  it("when a newer election comes for a partition led already, then only its epoch moves; an older resignation is ignored", async () => {
    const { partitions, events, release } = setup();
    const started = partitions.startup();
    await started;
    partitions.onElection(1, 2);
    await release(1);
    partitions.onElection(1, 5);
    partitions.onResignation(1, 4);
    assert.deepEqual(partitions.ledPartitions(), [{ partition: 1, leaderEpoch: 5, loaded: true }]);
    partitions.onResignation(1, 6);
    await waitFor(() => events.includes("unload 1"));
    assert.equal(partitions.partitionError(1), ErrorCode.NOT_COORDINATOR);
    assert.deepEqual(events, ["load 1", "unload 1"]);
  });

  it("when the partition is given up while it waits to load, then it is not loaded", async () => {
    const { partitions, events, release } = setup();
    await partitions.startup();
    partitions.onElection(2, 0);
    partitions.onResignation(2);
    await release(2);
    await waitFor(() => events.includes("unload 2"));
    assert.deepEqual(events, ["unload 2"]);
    assert.deepEqual(partitions.ledPartitions(), []);
  });

  it("when closed, then NOT_COORDINATOR, elections are ignored and a second close says so", async () => {
    const { partitions } = setup();
    await partitions.startup();
    assert.equal(partitions.close(), true);
    assert.equal(partitions.lifecycleError(), ErrorCode.NOT_COORDINATOR);
    partitions.onElection(0, 0);
    assert.deepEqual(partitions.ledPartitions(), []);
    assert.equal(partitions.close(), false);
  });
});
