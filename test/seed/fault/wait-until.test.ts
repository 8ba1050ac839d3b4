// waitUntil polls a condition until it holds, treats a throwing condition as not yet, and fails at
// its deadline with what was awaited.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { waitUntil } from "../../../seed/fault/wait-until.ts";

describe("waitUntil", () => {
  it("when the condition holds after a few polls, then it resolves", async () => {
    let polls = 0;
    await waitUntil(() => ++polls === 3, { intervalMs: 1 });
    assert.equal(polls, 3);
  });

  it("when the condition throws until it holds, then the throws count as not yet", async () => {
    let polls = 0;
    await waitUntil(
      async () => {
        if (++polls < 3) throw new Error("not ready");
        return true;
      },
      { intervalMs: 1 },
    );
    assert.equal(polls, 3);
  });

  it("when the condition never holds, then it rejects at the deadline naming what was awaited and the last error", async () => {
    let state = 0;
    await assert.rejects(
      waitUntil(
        () => {
          state++;
          throw new Error("still down");
        },
        { timeoutMs: 20, intervalMs: 1, message: () => `the broker back (state ${state > 0 ? "polled" : "never"})` },
      ),
      /timed out after 20 ms waiting for: the broker back \(state polled\) \(last error: still down\)/,
    );
  });
});
