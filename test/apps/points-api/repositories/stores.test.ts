// points-api's stores and terminals on a real SQLite file.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createStoresRepository } from "../../../../apps/points-api/repositories/stores.ts";
import { freshDatabaseEachTest } from "../../../helpers/sqlite-file.ts";
import { seedReferences } from "../helpers.ts";

describe("points-api stores repository (SQLite)", () => {
  const fresh = freshDatabaseEachTest("points-api-stores");

  it("when stores are listed, then in id order, each with its terminals in id order", async () => {
    await seedReferences(fresh.db);
    assert.deepEqual(await createStoresRepository(fresh.db).list(), [
      {
        id: "s1",
        name: "Shibuya",
        terminals: [
          { id: "t1", name: "Register 1" },
          { id: "t2", name: "Register 2" },
        ],
      },
      { id: "s2", name: "Umeda", terminals: [{ id: "t3", name: "Register 1" }] },
    ]);
  });

  it("when a terminal's store, a store's existence or names are asked for, then unknown ones are null, false or absent", async () => {
    await seedReferences(fresh.db);
    const stores = createStoresRepository(fresh.db);
    assert.equal(await stores.storeOfTerminal("t3"), "s2");
    assert.equal(await stores.storeOfTerminal("t-none"), null);
    assert.equal(await stores.exists("s1"), true);
    assert.equal(await stores.exists("s-none"), false);
    assert.deepEqual(await stores.namesOf(["s2", "s-none"]), new Map([["s2", "Umeda"]]));
  });
});
