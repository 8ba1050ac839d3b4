import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SerialPath } from "../../../broker/raft/serial-path.ts";
import { FakeScheduler } from "./raft-cluster-fixture.ts";

describe("the serial path", () => {
  it("when an entry point ends, then it polls, and the poll's deadline sets the one timer", async () => {
    const scheduler = new FakeScheduler();
    const polls: number[] = [];
    const start = scheduler.now();
    const path = new SerialPath(scheduler.view("node"), (now) => {
      polls.push(now - start);
      return now + 100;
    });
    path.start();
    assert.equal(
      path.run(() => "answer"),
      "answer",
    );
    assert.deepEqual(polls, [0]);
    await scheduler.advance(250);
    assert.deepEqual(polls, [0, 100, 200], "each timer poll sets the next; no timer piles up");
  });

  it("when an entry point runs inside another, then only the outermost polls, after both", () => {
    const scheduler = new FakeScheduler();
    const events: string[] = [];
    const path = new SerialPath(scheduler.view("node"), () => {
      events.push("poll");
      return Number.POSITIVE_INFINITY;
    });
    path.start();
    path.run(() => {
      events.push("outer");
      path.run(() => events.push("inner"));
      events.push("outer again");
    });
    assert.deepEqual(events, ["outer", "inner", "outer again", "poll"]);
  });

  it("when something runs during a poll, then the poll runs once more for it", () => {
    const scheduler = new FakeScheduler();
    let polls = 0;
    const path: SerialPath = new SerialPath(scheduler.view("node"), () => {
      polls++;
      if (polls === 1) path.run(() => undefined);
      return Number.POSITIVE_INFINITY;
    });
    path.start();
    path.run(() => undefined);
    assert.equal(polls, 2);
  });

  it("when stopped or not yet started, then nothing polls", async () => {
    const scheduler = new FakeScheduler();
    let polls = 0;
    const path = new SerialPath(scheduler.view("node"), (now) => {
      polls++;
      return now + 10;
    });
    path.run(() => undefined);
    assert.equal(polls, 0);
    path.start();
    path.run(() => undefined);
    path.stop();
    await scheduler.advance(100);
    assert.equal(polls, 1);
  });
});
