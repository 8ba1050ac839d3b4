// An app's listener on loopback says nothing about it; one beyond loopback warns, naming HOST.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { warnIfBeyondLoopback } from "../../../apps/shared/exposure.ts";
import { createLog } from "../../../apps/shared/log.ts";

describe("warnIfBeyondLoopback", () => {
  it("when a listener is on loopback, then nothing is logged; on 0.0.0.0 or another address, a warning naming HOST", () => {
    const lines: string[] = [];
    const log = createLog("points-api", (line) => lines.push(line), "human");
    for (const host of ["127.0.0.1", "::1", "localhost"]) warnIfBeyondLoopback(log, "points-api", host, 3000);
    assert.deepEqual(lines, []);

    warnIfBeyondLoopback(log, "points-api", "0.0.0.0", 3000);
    warnIfBeyondLoopback(log, "metrics", "192.168.1.20", 9464);
    assert.deepEqual(lines, [
      "[points-api] warning: points-api listens on 0.0.0.0:3000, beyond loopback: other machines can reach it (HOST=0.0.0.0)\n",
      "[points-api] warning: metrics listens on 192.168.1.20:9464, beyond loopback: other machines can reach it (HOST=192.168.1.20)\n",
    ]);
  });
});
