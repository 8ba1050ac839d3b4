// The round-trip floor the cost suite reports: a real loopback TCP echo, measured in CPU time.
import assert from "node:assert/strict";
import { it } from "node:test";
import { roundTripFloorUs } from "../../bench/round-trip-floor.ts";

it("when a few hundred echoes go over loopback, then their CPU per round trip is a positive, finite number of microseconds", async () => {
  const us = await roundTripFloorUs(300);
  assert.ok(Number.isFinite(us) && us > 0, `got ${us}`);
});
