import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { availableServices, demoServices, serviceReadyLine, serviceScript } from "../../apps/services.ts";
import { serviceReadyLine as processReadyLine } from "../../apps/shared/process.ts";
import { repoRoot } from "../../apps/supervisor.ts";

describe("the demo's services", () => {
  it("when services are listed, then every folder of apps/ with a main.ts, sorted, the demo's four among them and shared not", () => {
    const available = availableServices();
    assert.deepEqual(available, [...available].sort());
    for (const name of demoServices) assert.ok(available.includes(name), name);
    assert.equal(available.includes("shared"), false);
    for (const name of available) assert.ok(existsSync(join(repoRoot, serviceScript(name))), name);
  });

  it("when the demo starts, then the ledger comes first and points-api last, after the consumers it reports on", () => {
    assert.deepEqual(demoServices, ["ledger", "notification", "analytics", "points-api"]);
  });

  it("when a service's script is asked for, then its main.ts relative to the repository", () => {
    assert.equal(serviceScript("ledger"), join("apps", "ledger", "main.ts"));
  });

  it("when the ready line is needed, then it is the one services print", () => {
    assert.equal(serviceReadyLine, processReadyLine);
  });
});
