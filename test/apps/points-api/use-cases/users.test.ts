// Users on points-api's repository and a real SQLite file: paging with an opaque cursor, creation,
// a balance.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createUsersRepository } from "../../../../apps/points-api/repositories/users.ts";
import { createUserUseCases } from "../../../../apps/points-api/use-cases/users.ts";
import { freshDatabaseEachTest } from "../../../helpers/sqlite-file.ts";
import { seedReferences } from "../helpers.ts";

describe("points-api users use cases (SQLite)", () => {
  const fresh = freshDatabaseEachTest("points-api-user-cases");
  const useCases = () => createUserUseCases(createUsersRepository(fresh.db));

  it("when users are listed a page at a time, then each page has a cursor to the next (not the bare id) until the last", async () => {
    await seedReferences(fresh.db);
    const first = await useCases().listUsers({ limit: 2 });
    assert.deepEqual(
      first.users.map((u) => u.id),
      ["u1", "u2"],
    );
    assert.ok(first.nextCursor !== null && first.nextCursor !== "u2");
    const last = await useCases().listUsers({ limit: 2, cursor: first.nextCursor });
    assert.deepEqual(last, { users: [{ id: "u3", name: "Carol", balance: 0 }], nextCursor: null });
  });

  it("when a user is created with an id in use, then 409; without an id, then one is generated", async () => {
    await seedReferences(fresh.db);
    await assert.rejects(useCases().createUser({ id: "u1", name: "Again" }), {
      status: 409,
      message: "user u1 already exists",
    });
    const created = await useCases().createUser({ name: "Eve" });
    assert.match(created.id, /^[0-9a-f-]{36}$/);
    assert.equal(created.name, "Eve");
  });

  it("when a balance is asked for, then the Account's for a known user, 404 for an unknown one", async () => {
    await seedReferences(fresh.db);
    await fresh.db.account.create({ data: { userId: "u2", balance: 75, version: 1 } });
    assert.deepEqual(await useCases().balanceOf("u2"), { userId: "u2", balance: 75 });
    await assert.rejects(useCases().balanceOf("ghost"), { status: 404, message: "user ghost not found" });
  });
});
