import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RequestMemoryPool } from "../../../broker/server/request-memory-pool.ts";

describe("RequestMemoryPool", () => {
  it("when a reservation would exceed the capacity, then it is refused until bytes are released, and the waiter is woken", () => {
    const pool = new RequestMemoryPool(100);
    assert.equal(pool.tryReserve(60), true);
    assert.equal(pool.tryReserve(50), false);
    let woken = 0;
    pool.whenReleased(() => woken++);
    pool.release(60);
    assert.equal(woken, 1);
    assert.equal(pool.tryReserve(50), true);
    assert.equal(pool.usedBytes, 50);
  });

  it("when the pool is empty, then a request larger than the capacity is still let in", () => {
    const pool = new RequestMemoryPool(100);
    assert.equal(pool.tryReserve(500), true);
    assert.equal(pool.tryReserve(1), false);
  });

  it("when a waiter takes its wish back, then a release does not wake it", () => {
    const pool = new RequestMemoryPool(10);
    pool.tryReserve(10);
    let woken = false;
    const cancel = pool.whenReleased(() => {
      woken = true;
    });
    cancel();
    pool.release(10);
    assert.equal(woken, false);
  });

  it("when the capacity is zero or less, then the pool never refuses", () => {
    const pool = new RequestMemoryPool(-1);
    for (let i = 0; i < 10; i++) assert.equal(pool.tryReserve(1 << 30), true);
  });
});
