// points-api's users on a real SQLite file, with balances read from the ledger's Account table.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createUsersRepository, DuplicateUserError } from "../../../../apps/points-api/repositories/users.ts";
import { freshDatabaseEachTest } from "../../../helpers/sqlite-file.ts";
import { seedReferences } from "../helpers.ts";

describe("points-api users repository (SQLite)", () => {
  const fresh = freshDatabaseEachTest("points-api-users");

  it("when users are paged, then they come in id order after the given id, one more than the limit, with their Account's balance (0 without one)", async () => {
    await seedReferences(fresh.db);
    await fresh.db.account.create({ data: { userId: "u2", balance: 250, version: 1 } });
    const users = createUsersRepository(fresh.db);
    assert.deepEqual(await users.pageAfter(undefined, 1), [
      { id: "u1", name: "Alice", balance: 0 },
      { id: "u2", name: "Bob", balance: 250 },
    ]);
    assert.deepEqual(await users.pageAfter("u2", 5), [{ id: "u3", name: "Carol", balance: 0 }]);
  });

  it("when a user is created, then it is found as a view with its creation time; the same id again is a DuplicateUserError", async () => {
    const users = createUsersRepository(fresh.db);
    const created = await users.create("u9", "Zoe");
    assert.equal(created.id, "u9");
    assert.equal(created.name, "Zoe");
    assert.equal(new Date(created.createdAt).toISOString(), created.createdAt);
    assert.deepEqual(await users.find("u9"), created);
    assert.equal(await users.find("nobody"), null);
    await assert.rejects(users.create("u9", "Other"), DuplicateUserError);
  });

  it("when balances, existence and names are asked for, then unknown users have balance 0, do not exist and have no name", async () => {
    await seedReferences(fresh.db);
    await fresh.db.account.create({ data: { userId: "u1", balance: 40, version: 1 } });
    const users = createUsersRepository(fresh.db);
    assert.equal(await users.balanceOf("u1"), 40);
    assert.equal(await users.balanceOf("u3"), 0);
    assert.equal(await users.exists("u3"), true);
    assert.equal(await users.exists("ghost"), false);
    assert.deepEqual(
      await users.namesOf(["u1", "ghost", "u3"]),
      new Map([
        ["u1", "Alice"],
        ["u3", "Carol"],
      ]),
    );
  });
});
