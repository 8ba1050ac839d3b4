// The loopback limit the client suite compares MB/s with: a real child process pushing bytes to
// this one over 127.0.0.1.
import assert from "node:assert/strict";
import { it } from "node:test";
import { measureLoopback } from "../../bench/loopback.ts";

it("when a child pushes 1 MiB buffers for a short while, then at least a buffer arrives and MB/s is its bytes per second", async () => {
  const result = await measureLoopback(0.2);
  // Records are bytes here: recordsPerSec is bytes/s.
  assert.ok(result.seconds > 0 && result.seconds < 5, JSON.stringify(result));
  assert.ok(result.recordsPerSec * result.seconds >= 1 << 20, `at least one whole buffer: ${JSON.stringify(result)}`);
  assert.ok(Math.abs(result.mbPerSec - result.recordsPerSec / 1e6) <= 0.01, JSON.stringify(result));
});
