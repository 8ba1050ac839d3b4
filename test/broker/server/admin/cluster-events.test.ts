import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EventJournal } from "../../../../broker/server/admin/cluster-events.ts";

describe("EventJournal", () => {
  it("when events are recorded, then each gets the broker, an increasing id and the time of recording", () => {
    let now = 1_000;
    const journal = new EventJournal({ broker: 2, now: () => now });
    const first = journal.record({ kind: "member-joined", cause: "joined", group: "ledger" });
    now = 2_000;
    const second = journal.record({ kind: "broker-fenced", cause: "broker 1 fenced", subjectBroker: 1 });
    assert.deepEqual(
      [first, second].map(({ id, time, broker, kind }) => ({ id, time, broker, kind })),
      [
        { id: "2-1", time: 1_000, broker: 2, kind: "member-joined" },
        { id: "2-2", time: 2_000, broker: 2, kind: "broker-fenced" },
      ],
    );
  });

  it("when history is asked after an id, then only the events recorded after it are returned", () => {
    const journal = new EventJournal({ broker: 0 });
    const ids = [1, 2, 3].map((n) => journal.record({ kind: "leader-changed", cause: `change ${n}` }).id);
    assert.deepEqual(
      journal.history(ids[0]).map((e) => e.cause),
      ["change 2", "change 3"],
    );
    assert.equal(journal.history().length, 3);
    assert.equal(journal.history(ids[2]).length, 0);
  });

  it("when more than the capacity is recorded, then the oldest events are dropped", () => {
    const journal = new EventJournal({ broker: 0, capacity: 2 });
    for (const n of [1, 2, 3]) journal.record({ kind: "isr-shrank", cause: `shrink ${n}` });
    assert.deepEqual(
      journal.history().map((e) => e.cause),
      ["shrink 2", "shrink 3"],
    );
  });

  it("when events grow older than the maximum age, then they leave the history", () => {
    let now = 0;
    const journal = new EventJournal({ broker: 0, maxAgeMs: 60_000, now: () => now });
    journal.record({ kind: "isr-shrank", cause: "old" });
    now = 50_000;
    journal.record({ kind: "isr-expanded", cause: "recent" });
    now = 90_000;
    assert.deepEqual(
      journal.history().map((e) => e.cause),
      ["recent"],
    );
  });

  it("when a subscriber throws, then it is dropped and recording goes on for the others", () => {
    const journal = new EventJournal({ broker: 0 });
    const seen: string[] = [];
    journal.subscribe(() => {
      throw new Error("gone");
    });
    const unsubscribe = journal.subscribe((e) => seen.push(e.cause));
    journal.record({ kind: "controller-changed", cause: "one" });
    journal.record({ kind: "controller-changed", cause: "two" });
    unsubscribe();
    journal.record({ kind: "controller-changed", cause: "three" });
    assert.deepEqual(seen, ["one", "two"]);
  });
});
