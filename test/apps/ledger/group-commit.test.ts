import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { groupCommit } from "../../../apps/ledger/group-commit.ts";

describe("groupCommit", () => {
  it("when batches arrive while one is being applied, then they are applied together next, in arrival order", async () => {
    const applied: string[][] = [];
    let release!: () => void;
    const submit = groupCommit<string>(async (items) => {
      applied.push(items);
      if (applied.length === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    const first = submit(["p0-a"]);
    const second = submit(["p1-a", "p1-b"]);
    const third = submit(["p2-a"]);
    release();
    await Promise.all([first, second, third]);
    assert.deepEqual(applied, [["p0-a"], ["p1-a", "p1-b", "p2-a"]]);
  });

  it("when applying a group fails, then every batch of that group fails and later ones still run", async () => {
    let calls = 0;
    let release!: () => void;
    const submit = groupCommit<number>(async (items) => {
      calls++;
      if (calls === 1) await new Promise<void>((resolve) => (release = resolve));
      if (items.includes(2)) throw new Error("disk full");
    });
    const first = submit([1]);
    const second = submit([2]);
    const third = submit([3]);
    release();
    await first;
    await assert.rejects(second, /disk full/);
    await assert.rejects(third, /disk full/);
    await submit([4]);
    assert.equal(calls, 3);
  });
});
