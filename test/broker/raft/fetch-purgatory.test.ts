import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FetchPurgatory } from "../../../broker/raft/fetch-purgatory.ts";
import { FakeScheduler } from "./raft-cluster-fixture.ts";

describe("held fetches", () => {
  it("when the max wait passes with nothing new, then the fetch is answered as of that moment", async () => {
    const scheduler = new FakeScheduler();
    const purgatory = new FetchPurgatory<string>(scheduler.view("leader"));
    let state = "before";
    const answered = purgatory.park(5n, 500, () => state);
    await scheduler.advance(499);
    assert.equal(purgatory.size, 1);
    state = "after";
    await scheduler.advance(1);
    assert.equal(await answered, "after");
    assert.equal(purgatory.size, 0);
  });

  it("when the log grows past a fetch's offset, then that fetch is answered and the others keep waiting", async () => {
    const scheduler = new FakeScheduler();
    const purgatory = new FetchPurgatory<bigint>(scheduler.view("leader"));
    const early = purgatory.park(5n, 500, () => 5n);
    purgatory.park(9n, 500, () => 9n);
    purgatory.completeBelow(6n);
    assert.equal(await early, 5n);
    assert.equal(purgatory.size, 1);
    purgatory.completeAll();
    assert.equal(purgatory.size, 0);
    await scheduler.advance(1000);
  });
});
