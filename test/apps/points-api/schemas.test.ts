// The request schemas on their own: what each endpoint accepts, defaults and refuses. (The route
// tests show the same rules through HTTP, with the messages a caller reads.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  analyticsQuerySchema,
  commandBodySchema,
  commandQuerySchema,
  createUserBodySchema,
  ledgerQuerySchema,
  MAX_WAIT_MS,
  notificationsQuerySchema,
  recentLedgerQuerySchema,
  usersQuerySchema,
} from "../../../apps/points-api/schemas.ts";

const accepts = (schema: { safeParse(value: unknown): { success: boolean } }, value: unknown) =>
  schema.safeParse(value).success;

describe("points-api request schemas", () => {
  const command = commandBodySchema(1000);
  const valid = { userId: "u1", amount: 1000, storeId: "s1", terminalId: "t1" };

  it("when a command body is valid, then it passes as it is, optional fields included", () => {
    const full = { ...valid, orderId: "o-1", reason: "birthday", commandId: "c-1" };
    assert.deepEqual(command.parse(full), full);
  });

  it("when a command's amount is not a positive integer up to the maximum, then it is refused", () => {
    for (const amount of [0, -1, 1.5, 1001, "10", null]) {
      assert.equal(accepts(command, { ...valid, amount }), false, `amount ${JSON.stringify(amount)}`);
    }
    assert.equal(accepts(commandBodySchema(5000), { ...valid, amount: 5000 }), true);
  });

  it("when a command lacks a reference, has an empty or over-long one, or an unknown field, then it is refused", () => {
    for (const broken of [
      { ...valid, userId: undefined },
      { ...valid, storeId: "" },
      { ...valid, terminalId: "t".repeat(129) },
      { ...valid, reason: "r".repeat(501) },
      { ...valid, commandId: "" },
      { ...valid, points: 5 },
    ]) {
      assert.equal(accepts(command, broken), false, JSON.stringify(broken));
    }
  });

  it("when ?wait is given, then it is read as a whole number of ms from 0 to the maximum", () => {
    assert.deepEqual(commandQuerySchema.parse({ wait: "1500" }), { wait: 1500 });
    assert.equal(commandQuerySchema.parse({}).wait, undefined);
    for (const wait of ["-1", "1.5", String(MAX_WAIT_MS + 1), "soon"]) {
      assert.equal(accepts(commandQuerySchema, { wait }), false, wait);
    }
  });

  it("when a limit is left out, then each list has its default; out of its range, it is refused", () => {
    const cases = [
      [usersQuerySchema, 50, 500],
      [ledgerQuerySchema, 100, 1000],
      [notificationsQuerySchema, 50, 500],
      [recentLedgerQuerySchema, 20, 200],
    ] as const;
    for (const [schema, fallback, max] of cases) {
      assert.equal(schema.parse({}).limit, fallback);
      assert.equal(schema.parse({ limit: String(max) }).limit, max);
      assert.equal(accepts(schema, { limit: String(max + 1) }), false);
      assert.equal(accepts(schema, { limit: "0" }), false);
    }
    assert.equal(analyticsQuerySchema.parse({}).hours, 24);
    assert.equal(accepts(analyticsQuerySchema, { hours: "169" }), false);
  });

  it("when a user is created, then the name is trimmed, and an id must be URL-safe: a letter or digit first, then letters, digits and . _ : -", () => {
    assert.deepEqual(createUserBodySchema.parse({ id: "user:1.a_b-c", name: "  Dave " }), {
      id: "user:1.a_b-c",
      name: "Dave",
    });
    for (const broken of [
      { id: "-leading", name: "X" },
      { id: "has space", name: "X" },
      { id: "a/b", name: "X" },
      { id: "x".repeat(65), name: "X" },
      { name: "   " },
      { name: "X", admin: true },
    ]) {
      assert.equal(accepts(createUserBodySchema, broken), false, JSON.stringify(broken));
    }
  });
});
