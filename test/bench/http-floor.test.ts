// The bare HTTP server the cost suite measures beside points-api: a real process driven over HTTP.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { it } from "node:test";
import { httpFloorUsPerRequest } from "../../bench/http-floor.ts";
import { generateWorkload } from "../../seed/load/workload.ts";

it("when a bare server is driven at 200 requests/s, then its CPU per request is a positive, finite number of microseconds", async () => {
  const { commands } = generateWorkload({ users: 20, commands: 1_000, seed: 3 });
  const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  const us = await httpFloorUsPerRequest({ rate: 200, warmupSeconds: 0.5, windowSeconds: 1.5 }, commands, {
    concurrency: 4,
    terminalKeys: {},
    ticksPerSecond,
  });
  assert.ok(Number.isFinite(us) && us > 0, `got ${us}`);
});
