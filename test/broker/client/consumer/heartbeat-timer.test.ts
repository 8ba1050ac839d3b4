import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HeartbeatTimer } from "../../../../broker/client/consumer/heartbeat-timer.ts";

/** Lets the promise callbacks queued so far run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("HeartbeatTimer", () => {
  it("when started, then it beats once per interval, the next only after the previous settled, at the interval asked for then", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    let interval = 1000;
    const beats: number[] = [];
    let release: (() => void) | undefined;
    const timer = new HeartbeatTimer(
      () =>
        new Promise<void>((resolve) => {
          beats.push(interval);
          release = resolve;
        }),
      () => interval,
    );
    timer.start();
    t.mock.timers.tick(999);
    assert.deepEqual(beats, []);
    t.mock.timers.tick(1);
    assert.deepEqual(beats, [1000]);
    // The first beat has not settled: however long that takes, no second one is sent.
    t.mock.timers.tick(5000);
    assert.deepEqual(beats, [1000]);
    interval = 300;
    release!();
    await settle();
    t.mock.timers.tick(299);
    assert.deepEqual(beats, [1000]);
    t.mock.timers.tick(1);
    assert.deepEqual(beats, [1000, 300]);
    timer.stop();
  });

  it("when stopped while a beat is on its way, then that beat finishes and no next one is scheduled; started again, it beats again", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    let beats = 0;
    let release: (() => void) | undefined;
    const timer = new HeartbeatTimer(
      () =>
        new Promise<void>((resolve) => {
          beats += 1;
          release = resolve;
        }),
      () => 100,
    );
    timer.start();
    t.mock.timers.tick(100);
    assert.equal(beats, 1);
    timer.stop();
    release!();
    await settle();
    t.mock.timers.tick(1000);
    assert.equal(beats, 1);
    timer.start();
    t.mock.timers.tick(100);
    assert.equal(beats, 2);
    timer.stop();
  });
});
