// The hand-written check of commands agrees with the schema (zod) it stands in for: on valid values
// it returns what the schema returns, and anything it does not accept the schema decides.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkCommand, plainlyValid } from "../../../apps/ledger/command-fast-path.ts";
import { pointsCommandSchema } from "../../../apps/shared/topics.ts";

const base = {
  commandId: "c1",
  type: "charge",
  userId: "alice",
  amount: 500,
  storeId: "store-1",
  terminalId: "store-1-pos-1",
  issuedAt: "2026-01-01T00:00:00.000Z",
};

/** Values around every rule of the schema: each field missing, of the wrong type, empty, out of range. */
function variants(): unknown[] {
  const odd = [undefined, null, "", "x", 0, -1, 1.5, 2 ** 53, 7, true, [], {}, "charge", "deduct", "refund"];
  const values: unknown[] = [
    base,
    { ...base, type: "deduct", orderId: "o-1", reason: "opening balance" },
    { ...base, extra: 1 },
    { ...base, orderId: "" },
    null,
    [],
    "text",
    42,
    [base],
    {},
  ];
  for (const key of [...Object.keys(base), "orderId", "reason"]) {
    const { [key]: _, ...without } = base as Record<string, unknown>;
    values.push(without);
    for (const value of odd) values.push({ ...base, [key]: value });
  }
  return values;
}

describe("the command fast path", () => {
  it("when a value is checked, then the result is the schema's: the same command, or its first problem", () => {
    for (const value of variants()) {
      const parsed = pointsCommandSchema.safeParse(value);
      const checked = checkCommand(value);
      if (parsed.success) {
        assert.deepEqual(checked, parsed.data, JSON.stringify(value));
        assert.deepEqual(Object.keys(checked), Object.keys(parsed.data), "keys in the schema's order");
      } else {
        const issue = parsed.error.issues[0]!;
        assert.equal(checked, `${issue.path.join(".") || "value"}: ${issue.message}`, JSON.stringify(value));
      }
    }
  });

  it("when the hand check accepts a value, then the schema accepts it too", () => {
    let accepted = 0;
    for (const value of variants()) {
      if (!plainlyValid(value)) continue;
      accepted++;
      assert.equal(pointsCommandSchema.safeParse(value).success, true, JSON.stringify(value));
    }
    assert.ok(accepted > 10, "the usual commands take the fast path");
  });

  it("when the JSON has an unknown key, then it is dropped, as the schema drops it", () => {
    const command = checkCommand(JSON.parse(JSON.stringify({ ...base, extra: "x" })));
    assert.equal(typeof command, "object");
    assert.equal("extra" in (command as object), false);
  });
});
