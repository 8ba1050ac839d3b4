import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { demoStores, demoUsers } from "../../seed/demo-data.ts";

describe("demo data", () => {
  it("when the default stores are made, then five, each with two terminals whose ids name their store", () => {
    const stores = demoStores();
    assert.equal(stores.length, 5);
    assert.deepEqual(stores[0], {
      id: "store-1",
      name: "Store 1 Shibuya",
      terminals: [
        { id: "store-1-pos-1", name: "POS 1" },
        { id: "store-1-pos-2", name: "POS 2" },
      ],
    });
    assert.equal(demoStores(7)[6]?.name, "Store 7 Shinjuku", "names repeat after the fifth store");
    assert.equal(demoStores(1, 3)[0]?.terminals.length, 3);
  });

  it("when users are made twice, then the same ids, names and opening balances: seeding is repeatable", () => {
    assert.deepEqual(demoUsers(30), demoUsers(30));
    assert.deepEqual(demoUsers(3), demoUsers(30).slice(0, 3));
  });

  it("when more users than first names are made, then names get a number, ids stay unique and sort in creation order", () => {
    const users = demoUsers(45);
    assert.deepEqual([users[0]!.name, users[20]!.name, users[44]!.name], ["Aiko", "Aiko 2", "Emma 3"]);
    assert.equal(new Set(users.map((u) => u.id)).size, 45);
    assert.deepEqual(
      users.map((u) => u.id),
      [...users.map((u) => u.id)].sort(),
    );
    assert.equal(users[0]!.id, "user-0001");
    assert.equal(demoUsers(12_345)[12_344]!.id, "user-12345", "ids widen past 9,999 users");
  });

  it("when opening balances are given, then multiples of 100 from 100 to 5,000", () => {
    const balances = demoUsers(200).map((u) => u.openingBalance);
    assert.ok(balances.every((b) => b % 100 === 0 && b >= 100 && b <= 5_000));
    assert.equal(new Set(balances).size, 50);
  });
});
