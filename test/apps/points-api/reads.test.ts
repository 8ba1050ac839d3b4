// points-api's read endpoints serve what the services wrote to their tables (rows inserted here as
// those services would), plus users, stores and the OpenAPI document. The API runs in-process:
// a separate process would add nothing to these.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as schemas from "../../../apps/points-api/schemas.ts";
import { type PointsApi, startPointsApi } from "../../../apps/points-api/server.ts";
import { loadConfig } from "../../../apps/shared/config.ts";
import { createDb, type Db } from "../../../apps/shared/db/client.ts";
import { createLog } from "../../../apps/shared/log.ts";
import { type AppEnv, createAppEnv } from "../../helpers/app-process.ts";
import { type BrokerProcess, startBroker } from "../../helpers/broker-process.ts";
import { cleanupAll } from "../../helpers/wait.ts";
import { get, parseExactly, postJson, request, seedReferences } from "./helpers.ts";

const HOUR_MS = 3_600_000;
const currentHour = () => new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS);

function entry(
  commandId: string,
  userId: string,
  over: { type?: string; amount: number; status?: string; balanceAfter: number; reason?: string; offset: bigint },
) {
  return {
    commandId,
    userId,
    type: over.type ?? "charge",
    amount: over.amount,
    status: over.status ?? "applied",
    balanceAfter: over.balanceAfter,
    reason: over.reason ?? null,
    storeId: "s1",
    terminalId: "t1",
    orderId: `order-${commandId}`,
    topic: "points.commands",
    partition: 2,
    offset: over.offset,
    issuedAt: new Date("2026-01-01T10:00:00Z"),
    appliedAt: new Date(`2026-01-01T10:00:0${over.offset}Z`),
  };
}

describe("points-api reads", () => {
  let broker: BrokerProcess;
  let appEnv: AppEnv;
  let db: Db;
  let api: PointsApi;
  const apiLog: string[] = [];

  before(async () => {
    broker = await startBroker();
    appEnv = createAppEnv(broker.address);
    db = createDb(appEnv.databaseUrl);
    await seedReferences(db);
    await db.account.createMany({ data: [{ userId: "u1", balance: 700, version: 2 }] });
    // Interleaved users: a user's ledger must come back in LedgerEntry.id order.
    await db.ledgerEntry.create({ data: entry("c1", "u1", { amount: 500, balanceAfter: 500, offset: 0n }) });
    await db.ledgerEntry.create({ data: entry("c2", "u2", { amount: 50, balanceAfter: 50, offset: 1n }) });
    await db.ledgerEntry.create({ data: entry("c3", "u1", { amount: 200, balanceAfter: 700, offset: 2n }) });
    await db.ledgerEntry.create({
      data: entry("c4", "u1", {
        type: "deduct",
        amount: 900,
        status: "rejected",
        balanceAfter: 700,
        reason: "insufficient balance",
        offset: 3n,
      }),
    });
    await db.notification.createMany({
      data: [
        { userId: "u1", eventId: "c1", message: "500 points added", createdAt: new Date("2026-01-01T10:00:01Z") },
        { userId: "u1", eventId: "c3", message: "200 points added", createdAt: new Date("2026-01-01T10:00:03Z") },
        { userId: "u2", eventId: "c2", message: "50 points added", createdAt: new Date("2026-01-01T10:00:02Z") },
      ],
    });
    api = await startPointsApi(
      loadConfig(appEnv.env()),
      createLog("points-api", (line) => apiLog.push(line)),
    );
  });

  after(async () => {
    await cleanupAll(
      () => api?.stop(),
      () => db?.$disconnect(),
      () => broker?.cleanup(),
      () => appEnv?.cleanup(),
    );
  });

  it("when users are listed a page at a time, then every user comes exactly once, in id order, with their balance", async () => {
    const seen: Array<{ id: string; name: string; balance: number }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await get(
        api.url,
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
    const response = await get(api.url, "/api/users?limit=0");

    assert.equal(response.status, 400);
    assert.equal(response.body.error.message, "limit: Too small: expected number to be >=1");
  });

  it("when a user is created, then 201 and the user is listed; the same id again is a 409", async () => {
    const created = await postJson(api.url, "/api/users", { id: "u4", name: "  Dave " });
    const again = await postJson(api.url, "/api/users", { id: "u4", name: "Someone else" });
    const listed = await get(api.url, "/api/users?limit=500");

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
    const created = await postJson(api.url, "/api/users", { name: "Eve" });

    assert.equal(created.status, 201);
    assert.match(created.body.id, /^[0-9a-f-]{36}$/);
    assert.equal((await get(api.url, `/api/users/${created.body.id}/balance`)).status, 200);
  });

  it("when a new user is invalid or not JSON, then 400 or 415 and no user is added", async () => {
    const before = await db.user.count();
    const badId = await postJson(api.url, "/api/users", { id: "has space", name: "X" });
    const noName = await postJson(api.url, "/api/users", { id: "u9" });
    const extra = await postJson(api.url, "/api/users", { name: "X", admin: true });
    const form = await request(api.url, "POST", "/api/users", {
      body: "name=X",
      headers: { "content-type": "application/x-www-form-urlencoded" },
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
    assert.equal(await db.user.count(), before);
  });

  it("when stores are listed, then each comes with its terminals", async () => {
    const response = await get(api.url, "/api/stores");

    assert.equal(response.status, 200);
    assert.deepEqual(parseExactly(schemas.storesSchema, response.body), {
      stores: [
        {
          id: "s1",
          name: "Shibuya",
          terminals: [
            { id: "t1", name: "Register 1" },
            { id: "t2", name: "Register 2" },
          ],
        },
        { id: "s2", name: "Umeda", terminals: [{ id: "t3", name: "Register 1" }] },
      ],
    });
  });

  it("when a balance is asked for, then it is the Account's, 0 without one, 404 for an unknown user", async () => {
    const withAccount = await get(api.url, "/api/users/u1/balance");
    const withoutAccount = await get(api.url, "/api/users/u3/balance");
    const unknown = await get(api.url, "/api/users/ghost/balance");

    assert.deepEqual([withAccount.status, withAccount.body], [200, { userId: "u1", balance: 700 }]);
    assert.deepEqual([withoutAccount.status, withoutAccount.body], [200, { userId: "u3", balance: 0 }]);
    assert.deepEqual(
      [unknown.status, unknown.body],
      [404, { error: { code: "not_found", message: "user ghost not found" } }],
    );
  });

  it("when a user's ledger is asked for, then their entries come in applied order; with a limit, the latest ones", async () => {
    const all = await get(api.url, "/api/users/u1/ledger");
    const latestTwo = await get(api.url, "/api/users/u1/ledger?limit=2");
    const unknown = await get(api.url, "/api/users/ghost/ledger");

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

  it("when the recent ledger is asked for, then the latest entries of all users come newest first", async () => {
    const response = await get(api.url, "/api/ledger/recent?limit=3");

    assert.equal(response.status, 200);
    const { entries } = parseExactly(schemas.recentLedgerSchema, response.body);
    assert.deepEqual(
      entries.map((e) => [e.commandId, e.userId]),
      [
        ["c4", "u1"],
        ["c3", "u1"],
        ["c2", "u2"],
      ],
    );
  });

  it("when a user's notifications are asked for, then they come newest first", async () => {
    const response = await get(api.url, "/api/users/u1/notifications");
    const unknown = await get(api.url, "/api/users/ghost/notifications");

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

  it("when analytics are asked for, then totals, stores, recent hours and the top 10 users come from the analytics tables", async () => {
    await db.analyticsCounter.createMany({
      data: [
        { name: "charges", value: 3n },
        { name: "deductions", value: 1n },
        { name: "rejections", value: 1n },
        { name: "chargedPoints", value: 750n },
      ],
    });
    await db.analyticsStoreTotal.createMany({
      data: [
        { storeId: "s1", chargedPoints: 700, deductedPoints: 0, chargeCount: 2, deductCount: 1, rejectedCount: 1 },
        { storeId: "s-closed", chargedPoints: 50, chargeCount: 1 },
      ],
    });
    const hour = currentHour();
    await db.analyticsHourly.createMany({
      data: [
        { storeId: "s1", hour, chargedPoints: 200, deductedPoints: 0, eventCount: 2 },
        { storeId: "s2", hour: new Date(hour.getTime() - HOUR_MS), chargedPoints: 50, eventCount: 1 },
        { storeId: "s1", hour: new Date(hour.getTime() - 48 * HOUR_MS), chargedPoints: 500, eventCount: 1 },
      ],
    });
    await db.analyticsUserTotal.createMany({
      data: Array.from({ length: 12 }, (_, i) => ({
        userId: i < 3 ? `u${i + 1}` : `x${String(i).padStart(2, "0")}`,
        chargedPoints: (i + 1) * 10,
        eventCount: 1,
      })),
    });

    const response = await get(api.url, "/api/analytics");
    const threeDays = await get(api.url, "/api/analytics?hours=72");

    assert.equal(response.status, 200);
    const report = parseExactly(schemas.analyticsSchema, response.body);
    assert.deepEqual(report.totals, {
      charges: 3,
      deductions: 1,
      rejections: 1,
      chargedPoints: 750,
      deductedPoints: 0,
    });
    assert.deepEqual(
      report.stores.map((s) => [s.storeId, s.storeName, s.chargedPoints, s.chargeCount, s.rejectedCount]),
      [
        ["s-closed", null, 50, 1, 0],
        ["s1", "Shibuya", 700, 2, 1],
      ],
    );
    assert.deepEqual(report.hourly, [
      {
        storeId: "s2",
        hour: new Date(hour.getTime() - HOUR_MS).toISOString(),
        chargedPoints: 50,
        deductedPoints: 0,
        eventCount: 1,
      },
      { storeId: "s1", hour: hour.toISOString(), chargedPoints: 200, deductedPoints: 0, eventCount: 2 },
    ]);
    assert.equal(threeDays.body.hourly.length, 3);
    assert.equal(report.topUsers.length, 10);
    assert.deepEqual(report.topUsers.slice(0, 2), [
      { userId: "x11", name: null, chargedPoints: 120, deductedPoints: 0, eventCount: 1 },
      { userId: "x10", name: null, chargedPoints: 110, deductedPoints: 0, eventCount: 1 },
    ]);
    assert.deepEqual(report.topUsers.at(-1), {
      userId: "u3",
      name: "Carol",
      chargedPoints: 30,
      deductedPoints: 0,
      eventCount: 1,
    });
  });

  it("when the OpenAPI document is asked for, then it is 3.1, lists every route, and its bodies are the zod schemas", async () => {
    const response = await get(api.url, "/api/openapi.json");

    assert.equal(response.status, 200);
    const doc = response.body;
    assert.equal(doc.openapi, "3.1.0");
    const routes = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(routes.sort(), [
      "GET /api/analytics",
      "GET /api/groups",
      "GET /api/ledger/recent",
      "GET /api/openapi.json",
      "GET /api/stores",
      "GET /api/users",
      "GET /api/users/{id}/balance",
      "GET /api/users/{id}/ledger",
      "GET /api/users/{id}/notifications",
      "POST /api/points/charge",
      "POST /api/points/deduct",
      "POST /api/users",
    ]);
    const chargeBody = doc.paths["/api/points/charge"].post.requestBody.content["application/json"].schema;
    assert.equal(chargeBody.additionalProperties, false);
    assert.deepEqual(chargeBody.required, ["userId", "amount", "storeId", "terminalId"]);
    assert.deepEqual(chargeBody.properties.amount, {
      type: "integer",
      exclusiveMinimum: 0,
      maximum: loadConfig(appEnv.env()).maxAmount,
      description: "points, a positive integer",
    });
    assert.deepEqual(
      doc.paths["/api/points/charge"].post.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`),
      ["query:wait", "header:Idempotency-Key"],
    );
    assert.deepEqual(Object.keys(doc.paths["/api/points/charge"].post.responses).sort(), [
      "200",
      "202",
      "400",
      "404",
      "409",
      "413",
      "415",
      "503",
    ]);

    // Every documented route is served (a request to it is not answered with "no route").
    for (const route of routes) {
      const [method, path] = route.split(" ") as [string, string];
      const served = await request(api.url, method, path.replace("{id}", "u1"), method === "POST" ? { json: {} } : {});
      assert.doesNotMatch(String(served.body?.error?.message ?? ""), /^no route/, route);
    }
  });

  it("when a route does not exist, then 404 in the error format", async () => {
    const underApi = await get(api.url, "/api/nope?x=1");
    const elsewhere = await request(api.url, "DELETE", "/api/users");

    assert.deepEqual(
      [underApi.status, underApi.body],
      [404, { error: { code: "not_found", message: "no route for GET /api/nope" } }],
    );
    assert.deepEqual(
      [elsewhere.status, elsewhere.body],
      [404, { error: { code: "not_found", message: "no route for DELETE /api/users" } }],
    );
  });
});
