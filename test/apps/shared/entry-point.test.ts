// How the tests' processes are started: from a bundle when ENTRY_POINT_BUNDLES has one, through
// tsx otherwise; and a bundle keeps every module's own import.meta.url, so paths found from it are
// those of the source tree.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { PUBLIC_DIR } from "../../../apps/points-api/app.ts";
import { MIGRATIONS_DIR } from "../../../apps/shared/db/client.ts";
import { bundlePath, entryPointArgs, REPO_ROOT, runsEntryPoint } from "../../../apps/shared/entry-point.ts";
import { buildBundles } from "../../helpers/test-bundles.ts";

describe("entry points", () => {
  // Inside the repository, as the test run's bundles are: their npm imports resolve from there.
  const cache = path.join(REPO_ROOT, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(path.join(cache, "entry-point-test-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("when no bundles are named, then the script runs through tsx", () => {
    assert.deepEqual(entryPointArgs("broker/server/main.ts", ""), ["--import", "tsx", "broker/server/main.ts"]);
  });

  it("when the bundles have none for the script, then it runs through tsx; when they have one, from it", () => {
    assert.deepEqual(entryPointArgs("apps/cluster.ts", dir), ["--import", "tsx", "apps/cluster.ts"]);
    const bundle = bundlePath(dir, path.join(REPO_ROOT, "apps/cluster.ts"));
    assert.equal(bundle, path.join(dir, "apps", "cluster.mjs"));
    mkdirSync(path.dirname(bundle), { recursive: true });
    writeFileSync(bundle, "");
    assert.deepEqual(entryPointArgs("apps/cluster.ts", dir), [bundle]);
  });

  it("when a process runs a script through tsx or from its bundle, then its command line says it runs that script", () => {
    assert.ok(
      runsEntryPoint(
        ["node", "--import", "tsx", "/repo/broker/server/main.ts", "--port", "0"],
        "broker/server/main.ts",
      ),
    );
    assert.ok(
      runsEntryPoint(["node", "/repo/node_modules/.cache/bundles/broker/server/main.mjs"], "broker/server/main.ts"),
    );
    assert.ok(!runsEntryPoint(["node", "--import", "tsx", "/repo/apps/ledger/main.ts"], "broker/server/main.ts"));
  });

  it("when a script is bundled, then its modules still find the demo page, the migrations and the repository root where the sources are", async () => {
    const script = path.join(dir, "where.ts");
    writeFileSync(
      script,
      [
        `import { PUBLIC_DIR } from ${JSON.stringify(path.join(REPO_ROOT, "apps/points-api/app.ts"))};`,
        `import { MIGRATIONS_DIR } from ${JSON.stringify(path.join(REPO_ROOT, "apps/shared/db/client.ts"))};`,
        `import { REPO_ROOT } from ${JSON.stringify(path.join(REPO_ROOT, "apps/shared/entry-point.ts"))};`,
        "console.log(JSON.stringify({ PUBLIC_DIR, MIGRATIONS_DIR, REPO_ROOT }));",
      ].join("\n"),
    );
    const out = path.join(dir, "bundles");
    await buildBundles(out, [script]);
    const bundle = bundlePath(out, script);
    const printed = JSON.parse(execFileSync(process.execPath, entryPointArgs(script, out), { encoding: "utf8" }));
    assert.deepEqual(entryPointArgs(script, out), [bundle], "it ran from the bundle");
    assert.deepEqual(printed, { PUBLIC_DIR, MIGRATIONS_DIR, REPO_ROOT });
  });
});
