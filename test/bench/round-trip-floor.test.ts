// The round-trip floors the cost suite reports: a real loopback TCP echo, measured in CPU time, back
// to back in this process and paced between two processes.
import assert from "node:assert/strict";
import { it } from "node:test";
import { pacedRoundTripFloorUs, pacedRoundTripLatencyMs, roundTripFloorUs } from "../../bench/round-trip-floor.ts";

it("when a few hundred echoes go over loopback, then their CPU per round trip is a positive, finite number of microseconds", async () => {
  const us = await roundTripFloorUs(300);
  assert.ok(Number.isFinite(us) && us > 0, `got ${us}`);
});

it("when echoes are paced to one per millisecond with the echoing end in a process of its own, then their CPU per round trip, both processes counted, is a positive, finite number of microseconds", async () => {
  const us = await pacedRoundTripFloorUs(1);
  assert.ok(Number.isFinite(us) && us > 0, `got ${us}`);
});

it("when echoes are paced at a 10 ms tick for 0.2 s, then each of the 20 ticks is timed once, in positive, finite milliseconds", async () => {
  const times = await pacedRoundTripLatencyMs({ tickMs: 10, seconds: 0.2 });
  assert.equal(times.length, 20);
  assert.ok(
    times.every((ms) => Number.isFinite(ms) && ms > 0),
    String(times),
  );
});
