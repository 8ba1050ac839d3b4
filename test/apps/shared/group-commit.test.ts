import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { groupCommit } from "../../../apps/shared/group-commit.ts";

/** A gate a test opens by hand. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** Lets the event loop run what is ready (a group starts there). */
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("groupCommit", () => {
  it("when batches are handed over in the same turn, then they are committed as one group, in order", async () => {
    const committed: string[][] = [];
    const submit = groupCommit<string, string[]>(
      async (items) => {
        committed.push(items);
        return items;
      },
      async () => {},
    );
    await Promise.all([submit(["p0-a"]), submit(["p1-a", "p1-b"]), submit(["p2-a"])]);
    assert.deepEqual(committed, [["p0-a", "p1-a", "p1-b", "p2-a"]]);
  });

  it("when batches arrive while one is being committed, then they are committed together next, in arrival order", async () => {
    const committed: string[][] = [];
    const first = gate();
    const submit = groupCommit<string, string[]>(
      async (items) => {
        committed.push(items);
        if (committed.length === 1) await first.wait;
        return items;
      },
      async () => {},
    );
    const batches = [submit(["p0-a"])];
    await turn();
    batches.push(submit(["p1-a", "p1-b"]), submit(["p2-a"]));
    first.open();
    await Promise.all(batches);
    assert.deepEqual(committed, [["p0-a"], ["p1-a", "p1-b", "p2-a"]]);
  });

  it("when a group's events are still being sent, then the next group commits meanwhile, its events go out after, and each batch settles after its own events", async () => {
    const log: string[] = [];
    const firstEmit = gate();
    const submit = groupCommit<string, string[]>(
      async (items) => {
        log.push(`commit ${items.join(",")}`);
        return items;
      },
      async (items) => {
        if (items.includes("a")) await firstEmit.wait;
        log.push(`emit ${items.join(",")}`);
      },
    );
    const a = submit(["a"]).then(() => log.push("settled a"));
    await turn();
    const b = submit(["b"]).then(() => log.push("settled b"));
    await turn();
    assert.deepEqual(log, ["commit a", "commit b"]);
    firstEmit.open();
    await Promise.all([a, b]);
    assert.deepEqual(log, ["commit a", "commit b", "emit a", "settled a", "emit b", "settled b"]);
  });

  it("when a commit fails, then that group's batches fail and later ones still run", async () => {
    let calls = 0;
    const first = gate();
    const submit = groupCommit<number, number[]>(
      async (items) => {
        calls++;
        if (calls === 1) await first.wait;
        if (items.includes(2)) throw new Error("disk full");
        return items;
      },
      async () => {},
    );
    const batches = [submit([1])];
    await turn();
    batches.push(submit([2]), submit([3]));
    first.open();
    await batches[0];
    await assert.rejects(batches[1]!, /disk full/);
    await assert.rejects(batches[2]!, /disk full/);
    await submit([4]);
    assert.equal(calls, 3);
  });

  it("when a group's events cannot be sent, then the groups queued behind it fail too (no event overtakes), and once they settled the next group is sent", async () => {
    const emitted: number[][] = [];
    const firstEmit = gate();
    const submit = groupCommit<number, number[]>(
      async (items) => items,
      async (items) => {
        if (items.includes(1)) {
          await firstEmit.wait;
          throw new Error("broker gone");
        }
        emitted.push(items);
      },
    );
    const one = submit([1]);
    await turn();
    const two = submit([2]);
    await turn();
    firstEmit.open();
    await assert.rejects(one, /broker gone/);
    await assert.rejects(two, /broker gone/);
    await submit([3]);
    assert.deepEqual(emitted, [[3]]);
  });
});
