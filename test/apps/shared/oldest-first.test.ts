import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { oldestFirst } from "../../../apps/shared/oldest-first.ts";

describe("oldestFirst", () => {
  it("when keys are evicted as new ones come, then each eviction takes the oldest left, and a key set again counts as new", () => {
    const map = new Map<string, number>([
      ["a", 1],
      ["b", 2],
      ["c", 3],
    ]);
    const oldest = oldestFirst(map);
    assert.equal(oldest(), "a");
    map.delete("a");
    map.delete("b");
    map.set("b", 2); // touched: now the newest
    map.set("d", 4);
    const evicted: string[] = [];
    for (let k = oldest(); k !== undefined && map.size > 0; k = oldest()) {
      evicted.push(k);
      map.delete(k);
    }
    assert.deepEqual(evicted, ["c", "b", "d"]);
  });

  it("when a key in the middle is deleted by someone else, then it is skipped", () => {
    const map = new Map<number, null>(Array.from({ length: 5 }, (_, i) => [i, null]));
    const oldest = oldestFirst(map);
    map.delete(oldest()!);
    map.delete(1);
    map.delete(2);
    assert.equal(oldest(), 3);
  });

  it("when the map was emptied and filled again, then it starts over (an exhausted iterator would say nothing forever)", () => {
    const map = new Map<string, number>([["a", 1]]);
    const oldest = oldestFirst(map);
    map.delete(oldest()!);
    assert.equal(oldest(), undefined);
    map.set("x", 1);
    map.set("y", 2);
    assert.equal(oldest(), "x");
  });

  it("when a cache of 10,000 keys evicts one per insert for a long time, then it keeps exactly the newest 10,000", () => {
    const map = new Map<number, number>();
    const oldest = oldestFirst(map);
    for (let i = 0; i < 50_000; i++) {
      map.set(i, i);
      if (map.size > 10_000) map.delete(oldest()!);
    }
    assert.equal(map.size, 10_000);
    assert.equal(Math.min(...map.keys()), 40_000);
  });
});
