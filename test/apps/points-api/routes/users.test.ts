// /api/users: the list with balances, creation (with a terminal's key), and one user's balance,
// ledger and notifications, served from what the services wrote to their tables.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as schemas from "../../../../apps/points-api/schemas.ts";
import { get, parseExactly, postJson, request } from "../helpers.ts";
import { useSeededPointsApi } from "../reads-fixture.ts";

describe("points-api /api/users", () => {
  const points = useSeededPointsApi();

  it("when users are listed a page at a time, then every user comes exactly once, in id order, with their balance", async () => {
    const seen: Array<{ id: string; name: string; balance: number }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await get(
        points.api.url,
        `/api/users?limit=2${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`,
      );
      assert.equal(response.status, 200);
      const page = parseExactly(schemas.usersPageSchema, response.body);
      assert.ok(page.users.length <= 2);
      seen.push(...page.users);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);

    assert.equal(pages, 2);
    assert.deepEqual(seen, [
      { id: "u1", name: "Alice", balance: 700 },
      { id: "u2", name: "Bob", balance: 0 },
      { id: "u3", name: "Carol", balance: 0 },
    ]);
  });

  it("when the page size is out of range, then 400 naming limit", async () => {
    const response = await get(points.api.url, "/api/users?limit=0");

    assert.equal(response.status, 400);
    assert.equal(response.body.error.message, "limit: Too small: expected number to be >=1");
  });

  it("when a user is created, then 201 and the user is listed; the same id again is a 409", async () => {
    const created = await postJson(points.api.url, "/api/users", { id: "u4", name: "  Dave " }, points.authorization);
    const again = await postJson(
      points.api.url,
      "/api/users",
      { id: "u4", name: "Someone else" },
      points.authorization,
    );
    const listed = await get(points.api.url, "/api/users?limit=500");

    assert.equal(created.status, 201);
    const user = parseExactly(schemas.userSchema, created.body);
    assert.deepEqual({ id: user.id, name: user.name }, { id: "u4", name: "Dave" });
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, { error: { code: "conflict", message: "user u4 already exists" } });
    assert.deepEqual(
      listed.body.users.find((u: { id: string }) => u.id === "u4"),
      { id: "u4", name: "Dave", balance: 0 },
    );
  });

  it("when a user is created without an id, then it gets a generated one", async () => {
    const created = await postJson(points.api.url, "/api/users", { name: "Eve" }, points.authorization);

    assert.equal(created.status, 201);
    assert.match(created.body.id, /^[0-9a-f-]{36}$/);
    assert.equal((await get(points.api.url, `/api/users/${created.body.id}/balance`)).status, 200);
  });

  it("when a new user is invalid or not JSON, then 400 or 415 and no user is added", async () => {
    const before = await points.db.user.count();
    const badId = await postJson(points.api.url, "/api/users", { id: "has space", name: "X" }, points.authorization);
    const noName = await postJson(points.api.url, "/api/users", { id: "u9" }, points.authorization);
    const extra = await postJson(points.api.url, "/api/users", { name: "X", admin: true }, points.authorization);
    const form = await request(points.api.url, "POST", "/api/users", {
      body: "name=X",
      headers: { "content-type": "application/x-www-form-urlencoded", ...points.authorization },
    });

    assert.equal(badId.status, 400);
    assert.equal(
      badId.body.error.message,
      "id: must start with a letter or digit and contain only letters, digits and . _ : -",
    );
    assert.equal(noName.status, 400);
    assert.equal(noName.body.error.message, "name: Invalid input: expected string, received undefined");
    assert.equal(extra.status, 400);
    assert.equal(extra.body.error.message, 'Unrecognized key: "admin"');
    assert.equal(form.status, 415);
    assert.equal(await points.db.user.count(), before);
  });

  it("when a user is to be created without a terminal's key, or with a wrong one, then 401 and no user is added", async () => {
    const before = await points.db.user.count();
    const noKey = await postJson(points.api.url, "/api/users", { id: "u10", name: "Mallory" });
    const wrongKey = await postJson(
      points.api.url,
      "/api/users",
      { id: "u10", name: "Mallory" },
      { authorization: `${points.authorization.authorization}x` },
    );

    assert.deepEqual(
      [noKey.status, noKey.body.error.code, wrongKey.status, wrongKey.body.error.message],
      [401, "unauthorized", 401, "wrong key for terminal t1"],
    );
    assert.equal(await points.db.user.count(), before);
  });

  it("when a balance is asked for, then it is the Account's, 0 without one, 404 for an unknown user", async () => {
    const withAccount = await get(points.api.url, "/api/users/u1/balance");
    const withoutAccount = await get(points.api.url, "/api/users/u3/balance");
    const unknown = await get(points.api.url, "/api/users/ghost/balance");

    assert.deepEqual([withAccount.status, withAccount.body], [200, { userId: "u1", balance: 700 }]);
    assert.deepEqual([withoutAccount.status, withoutAccount.body], [200, { userId: "u3", balance: 0 }]);
    assert.deepEqual(
      [unknown.status, unknown.body],
      [404, { error: { code: "not_found", message: "user ghost not found" } }],
    );
  });

  it("when a user's ledger is asked for, then their entries come in applied order; with a limit, the latest ones", async () => {
    const all = await get(points.api.url, "/api/users/u1/ledger");
    const latestTwo = await get(points.api.url, "/api/users/u1/ledger?limit=2");
    const unknown = await get(points.api.url, "/api/users/ghost/ledger");

    assert.equal(all.status, 200);
    const { entries } = parseExactly(schemas.userLedgerSchema, all.body);
    assert.deepEqual(
      entries.map((e) => e.commandId),
      ["c1", "c3", "c4"],
    );
    assert.deepEqual(all.body.entries[2], {
      commandId: "c4",
      type: "deduct",
      amount: 900,
      status: "rejected",
      balanceAfter: 700,
      reason: "insufficient balance",
      storeId: "s1",
      terminalId: "t1",
      orderId: "order-c4",
      partition: 2,
      offset: "3",
      issuedAt: "2026-01-01T10:00:00.000Z",
      appliedAt: "2026-01-01T10:00:03.000Z",
    });
    assert.equal("reason" in all.body.entries[0], false, "no reason on an applied entry");
    assert.deepEqual(
      latestTwo.body.entries.map((e: { commandId: string }) => e.commandId),
      ["c3", "c4"],
    );
    assert.equal(unknown.status, 404);
  });

  it("when a user's notifications are asked for, then they come newest first", async () => {
    const response = await get(points.api.url, "/api/users/u1/notifications");
    const unknown = await get(points.api.url, "/api/users/ghost/notifications");

    assert.equal(response.status, 200);
    const { notifications } = parseExactly(schemas.notificationsSchema, response.body);
    assert.deepEqual(
      notifications.map((n) => [n.eventId, n.message, n.createdAt]),
      [
        ["c3", "200 points added", "2026-01-01T10:00:03.000Z"],
        ["c1", "500 points added", "2026-01-01T10:00:01.000Z"],
      ],
    );
    assert.equal(unknown.status, 404);
  });
});
