import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PartitionFetchStates } from "../../../../broker/server/replication/partition-fetch-state.ts";

const BACKOFF_MS = 1000;

describe("PartitionFetchStates", () => {
  it("when a partition is added, then it truncates first, from its initial offset", () => {
    const states = new PartitionFetchStates(BACKOFF_MS);
    states.add("sales", 0, 3, 40n);
    assert.deepEqual(states.get("sales", 0), {
      topic: "sales",
      partition: 0,
      fetchOffset: 40n,
      currentLeaderEpoch: 3,
      status: "truncating",
      delayedUntil: 0,
    });
    assert.equal(states.size, 1);
  });

  it("when a partition is added again at the same leader epoch, then it keeps its position; at a new epoch, it starts over", () => {
    const states = new PartitionFetchStates(BACKOFF_MS);
    states.add("sales", 0, 3, 40n);
    states.replace(states.get("sales", 0)!, { status: "fetching", fetchOffset: 55n });

    states.add("sales", 0, 3, 10n);
    assert.equal(states.get("sales", 0)?.status, "fetching");
    assert.equal(states.get("sales", 0)?.fetchOffset, 55n);

    states.add("sales", 0, 4, 50n);
    assert.equal(states.get("sales", 0)?.status, "truncating");
    assert.equal(states.get("sales", 0)?.fetchOffset, 50n);
  });

  it("when the entry a change was based on was replaced since, then the change is dropped", () => {
    const states = new PartitionFetchStates(BACKOFF_MS);
    states.add("sales", 0, 3, 40n);
    const read = states.get("sales", 0)!;
    states.replace(read, { fetchOffset: 45n });

    assert.equal(states.isCurrent(read), false);
    states.replace(read, { fetchOffset: 99n, status: "fetching" });
    states.delay([read]);
    assert.equal(states.get("sales", 0)?.fetchOffset, 45n);
    assert.equal(states.get("sales", 0)?.status, "truncating");
    assert.equal(states.get("sales", 0)?.delayedUntil, 0);
  });

  it("when a partition is removed and added again, then an entry read before is no longer current", () => {
    const states = new PartitionFetchStates(BACKOFF_MS);
    states.add("sales", 0, 3, 40n);
    const read = states.get("sales", 0)!;
    states.remove("sales", 0);
    assert.equal(states.get("sales", 0), undefined);
    states.add("sales", 0, 3, 40n);
    assert.equal(states.isCurrent(read), false);
    assert.equal(states.isCurrent(states.get("sales", 0)!), true);
  });

  it("when partitions are delayed, then they are not ready until the backoff has passed, and the wait says how long", () => {
    const states = new PartitionFetchStates(BACKOFF_MS);
    states.add("sales", 0, 1, 0n);
    states.add("sales", 1, 1, 0n);
    states.add("sales", 2, 1, 0n);
    states.replace(states.get("sales", 2)!, { status: "fetching" });
    const before = Date.now();
    states.delay([states.get("sales", 0)!]);
    const until = states.get("sales", 0)!.delayedUntil;
    assert.ok(until >= before + BACKOFF_MS);

    assert.deepEqual(
      states.ready("truncating", until - 1).map((s) => s.partition),
      [1],
    );
    assert.deepEqual(
      states.ready("truncating", until).map((s) => s.partition),
      [0, 1],
    );
    assert.deepEqual(
      states.ready("fetching", until).map((s) => s.partition),
      [2],
    );
    assert.equal(states.msUntilNextReady(until - 300), 300);
    assert.equal(states.msUntilNextReady(until), BACKOFF_MS, "nothing held back: the backoff at most");
  });
});
