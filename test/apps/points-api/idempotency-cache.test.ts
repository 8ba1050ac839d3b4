// The API's memory of recent keys: bounded, and never remembering a failed acceptance.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IdempotencyCache } from "../../../apps/points-api/idempotency-cache.ts";
import { AppError } from "../../../apps/shared/errors.ts";

const at = (offset: number) => async () => ({ partition: 0, offset: String(offset) });

describe("IdempotencyCache", () => {
  it("when more keys than its capacity are accepted, then the least recently used one is forgotten", async () => {
    const cache = new IdempotencyCache(2);
    await cache.acceptOnce("a", "p", at(1));
    await cache.acceptOnce("b", "p", at(2));
    await cache.acceptOnce("a", "p", at(99)); // a is now the most recently used
    await cache.acceptOnce("c", "p", at(3));

    assert.equal(cache.size, 2);
    assert.deepEqual(await cache.acceptOnce("a", "p", at(99)), { at: { partition: 0, offset: "1" }, replayed: true });
    assert.deepEqual(await cache.acceptOnce("b", "p", at(4)), { at: { partition: 0, offset: "4" }, replayed: false });
  });

  it("when an acceptance fails, then the key is forgotten and the next attempt runs again", async () => {
    const cache = new IdempotencyCache();
    await assert.rejects(
      cache.acceptOnce("k", "p", () => Promise.reject(AppError.unavailable("down"))),
      { status: 503 },
    );

    assert.deepEqual(await cache.acceptOnce("k", "p", at(7)), { at: { partition: 0, offset: "7" }, replayed: false });
  });

  it("when a key comes again with another fingerprint, then 409 and the first acceptance stays", async () => {
    const cache = new IdempotencyCache();
    await cache.acceptOnce("k", "p1", at(1));

    await assert.rejects(cache.acceptOnce("k", "p2", at(2)), { status: 409, code: "conflict" });
    assert.deepEqual(await cache.acceptOnce("k", "p1", at(3)), { at: { partition: 0, offset: "1" }, replayed: true });
  });
});
