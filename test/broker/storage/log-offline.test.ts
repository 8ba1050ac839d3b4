// The offline state of a log: the first failure of a file operation takes it offline, is told
// once, and is the cause of every refusal after it.

import assert from "node:assert/strict";
import { test } from "node:test";
import { LogOfflineError, OfflineState } from "../../../broker/storage/log-offline.ts";

test("when operations succeed, then the log stays online and their results come back", () => {
  const state = new OfflineState("/data/topic-0");
  assert.equal(
    state.run(() => 42),
    42,
  );
  state.assertOnline();
  assert.deepEqual([state.isOffline, state.cause], [false, null]);
});

test("when operations fail, then the first failure takes the log offline, is told once and is the cause of every refusal", () => {
  const told: unknown[] = [];
  const state = new OfflineState("/data/topic-0", (cause) => told.push(cause));
  const first = new Error("EIO: i/o error, fsync");
  assert.throws(
    () =>
      state.run(() => {
        throw first;
      }),
    first,
  );
  assert.throws(() =>
    state.run(() => {
      throw new Error("a later failure");
    }),
  );
  assert.deepEqual(told, [first]);
  assert.equal(state.cause, first);
  assert.throws(
    () => state.assertOnline(),
    (error: unknown) =>
      error instanceof LogOfflineError && error.cause === first && /\/data\/topic-0 is offline/.test(error.message),
  );
});
