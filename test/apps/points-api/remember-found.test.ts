import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rememberFound } from "../../../apps/points-api/remember-found.ts";

describe("rememberFound", () => {
  it("when a lookup found its row, then it is answered from memory; a miss is asked again each time", async () => {
    const asked: string[] = [];
    const rows = new Set(["u1"]);
    const exists = rememberFound(async (id: string) => {
      asked.push(id);
      return rows.has(id);
    }, Boolean);
    assert.deepEqual([await exists("u1"), await exists("u1"), await exists("u2")], [true, true, false]);
    rows.add("u2"); // created meanwhile, by another instance say
    assert.equal(await exists("u2"), true);
    assert.deepEqual(asked, ["u1", "u2", "u2"]);
  });

  it("when more rows were found than it keeps, then the oldest is forgotten and asked again", async () => {
    const asked: string[] = [];
    const exists = rememberFound(
      async (id: string) => {
        asked.push(id);
        return true;
      },
      Boolean,
      2,
    );
    for (const id of ["a", "b", "c", "b", "a"]) await exists(id);
    assert.deepEqual(asked, ["a", "b", "c", "a"]);
  });
});
