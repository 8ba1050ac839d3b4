import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Signal, Slots, untilFired, waitFor } from "../../../../broker/client/consumer/signals.ts";

/** A promise and the way to settle it from outside. */
function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void; reject(error: Error): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every reaction already queued run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("Signal", () => {
  it("when fired, then each listener is called once, in registration order, even if fired again", () => {
    const signal = new Signal();
    const calls: string[] = [];
    signal.onFire(() => calls.push("a"));
    signal.onFire(() => calls.push("b"));
    signal.fire();
    signal.fire();
    assert.deepEqual(calls, ["a", "b"]);
    assert.equal(signal.fired, true);
  });

  it("when a listener registers after the signal fired, then it is called at once", () => {
    const signal = new Signal();
    signal.fire();
    let called = 0;
    signal.onFire(() => called++);
    assert.equal(called, 1);
  });

  it("when a listener unregisters before the signal fires, then it is not called", () => {
    const signal = new Signal();
    let called = 0;
    const off = signal.onFire(() => called++);
    off();
    signal.fire();
    assert.equal(called, 0);
  });
});

describe("waitFor", () => {
  it("when one of the signals fires, then it resolves before the time is up", async () => {
    const first = new Signal();
    const second = new Signal();
    let done = false;
    const waiting = waitFor(60_000, first, second).then(() => {
      done = true;
    });
    await settle();
    assert.equal(done, false);
    second.fire();
    await waiting;
    assert.equal(done, true);
  });

  it("when no signal fires, then it resolves once the time is up", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    let done = false;
    const waiting = waitFor(500, new Signal()).then(() => {
      done = true;
    });
    t.mock.timers.tick(499);
    await settle();
    assert.equal(done, false);
    t.mock.timers.tick(1);
    await waiting;
    assert.equal(done, true);
  });

  it("when a signal has fired already (stop asked before a retry's sleep), then it resolves at once", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const stopped = new Signal();
    stopped.fire();
    await waitFor(60_000, new Signal(), stopped);
  });
});

describe("untilFired", () => {
  it("when the request answers first, then its answer is returned", async () => {
    assert.equal(await untilFired(Promise.resolve(42), new Signal()), 42);
  });

  it("when the signal fires first, then undefined is returned and the later answer is ignored", async () => {
    const request = deferred<number>();
    const signal = new Signal();
    const result = untilFired(request.promise, signal);
    signal.fire();
    request.resolve(42);
    assert.equal(await result, undefined);
  });

  it("when the request fails first, then the failure is thrown", async () => {
    const request = deferred<number>();
    const result = untilFired(request.promise, new Signal());
    request.reject(new Error("broken"));
    await assert.rejects(result, /broken/);
  });
});

describe("Slots", () => {
  it("when more tasks come than there are slots, then at most that many run and the others start in arrival order", async () => {
    const slots = new Slots(2);
    const gates = Array.from({ length: 5 }, () => deferred());
    const started: number[] = [];
    let running = 0;
    let mostRunning = 0;
    const results = gates.map((gate, i) =>
      slots.run(async () => {
        started.push(i);
        running++;
        mostRunning = Math.max(mostRunning, running);
        await gate.promise;
        running--;
        return i;
      }),
    );
    await settle();
    assert.deepEqual(started, [0, 1]);
    gates[1]!.resolve();
    await settle();
    assert.deepEqual(started, [0, 1, 2]);
    gates[0]!.resolve();
    await settle();
    assert.deepEqual(started, [0, 1, 2, 3]);
    for (const gate of gates) gate.resolve();
    assert.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4]);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.equal(mostRunning, 2);
  });

  it("when a task fails, then its slot is freed for the next one and the failure reaches its caller", async () => {
    const slots = new Slots(1);
    const failing = slots.run(async () => {
      throw new Error("task failed");
    });
    const next = slots.run(async () => "next ran");
    await assert.rejects(failing, /task failed/);
    assert.equal(await next, "next ran");
  });
});
