import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KeyedSerialQueue } from "../../../../broker/server/groups/serial-queue.ts";

/** A promise the test settles by hand. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void; fail: (error: Error) => void } {
  let open!: (value: T) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

describe("KeyedSerialQueue", () => {
  it("when tasks of one key are queued, then each starts only after the one before has settled", async () => {
    const queue = new KeyedSerialQueue<string>();
    const events: string[] = [];
    const first = gate();
    const done = [
      queue.run("g", async () => {
        events.push("first started");
        await first.promise;
        events.push("first ended");
      }),
      queue.run("g", () => {
        events.push("second ran");
      }),
    ];
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ["first started"]);
    first.open();
    await Promise.all(done);
    assert.deepEqual(events, ["first started", "first ended", "second ran"]);
  });

  it("when a task of one key is waiting, then a task of another key runs meanwhile", async () => {
    const queue = new KeyedSerialQueue<string>();
    const blocked = gate();
    const slow = queue.run("a", () => blocked.promise);
    assert.equal(await queue.run("b", () => "b ran"), "b ran");
    blocked.open();
    await slow;
  });

  it("when a task fails, then its caller gets the error and the next task of that key still runs", async () => {
    const queue = new KeyedSerialQueue<string>();
    const failing = queue.run("g", () => {
      throw new Error("task broke");
    });
    const next = queue.run("g", () => 42);
    await assert.rejects(failing, /task broke/);
    assert.equal(await next, 42);
  });

  it("when a task hands back a long wait wrapped in an object, then the key is free again at once", async () => {
    const queue = new KeyedSerialQueue<string>();
    const parked = gate<string>();
    const outcome = await queue.run("g", () => ({ response: parked.promise }));
    assert.equal(await queue.run("g", () => "ran while the first waits"), "ran while the first waits");
    parked.open("answered");
    assert.equal(await outcome.response, "answered");
  });

  it("when drained, then it resolves after every queued task, also ones queued by tasks while draining", async () => {
    const queue = new KeyedSerialQueue<string>();
    const finished: string[] = [];
    const slow = gate();
    void queue.run("a", async () => {
      await slow.promise;
      finished.push("a");
      void queue.run("b", () => {
        finished.push("b, queued by a");
      });
    });
    const drained = queue.drain().then(() => finished.push("drained"));
    slow.open();
    await drained;
    assert.deepEqual(finished, ["a", "b, queued by a", "drained"]);
  });
});
