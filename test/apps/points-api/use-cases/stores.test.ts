import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createStoresRepository } from "../../../../apps/points-api/repositories/stores.ts";
import { createStoreUseCases } from "../../../../apps/points-api/use-cases/stores.ts";
import { freshDatabaseEachTest } from "../../../helpers/sqlite-file.ts";
import { seedReferences } from "../helpers.ts";

describe("store use cases (SQLite)", () => {
  const fresh = freshDatabaseEachTest("points-api-store-use-cases");

  it("when stores are listed, then the answer holds every store with its terminals", async () => {
    await seedReferences(fresh.db);
    const { stores } = await createStoreUseCases(createStoresRepository(fresh.db)).listStores();
    assert.deepEqual(
      stores.map((s) => [s.id, s.terminals.map((t) => t.id)]),
      [
        ["s1", ["t1", "t2"]],
        ["s2", ["t3"]],
      ],
    );
  });

  it("when there are no stores, then an empty list", async () => {
    assert.deepEqual(await createStoreUseCases(createStoresRepository(fresh.db)).listStores(), { stores: [] });
  });
});
