// The bundles `npm test` runs: every module keeps its own import.meta.url, dirname and filename
// (code only: a string that names them is left as written), and every test file is found.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { bundlePath, REPO_ROOT } from "../../apps/shared/entry-point.ts";
import { buildBundles, testFiles } from "./test-bundles.ts";

describe("test bundles", () => {
  // Inside the repository, as the test run's bundles are: their npm imports resolve from there.
  const cache = path.join(REPO_ROOT, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(path.join(cache, "test-bundles-test-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("when a module is bundled, then import.meta.url, dirname and filename in its code are its source's, and a string naming them is kept", async () => {
    const source = path.join(dir, "src", "deep", "where.ts");
    mkdirSync(path.dirname(source), { recursive: true });
    writeFileSync(
      source,
      [
        "const typed: string = 'import.meta.url';",
        "console.log(JSON.stringify([import.meta.url, import.meta.dirname, import.meta.filename, typed]));",
      ].join("\n"),
    );
    const out = path.join(dir, "out");
    await buildBundles(out, [source]);
    const bundle = bundlePath(out, source);
    assert.ok(existsSync(bundle), `${bundle} written`);
    assert.ok(existsSync(`${bundle}.map`), "with its source map");
    const printed = JSON.parse(execFileSync(process.execPath, [bundle], { encoding: "utf8" }));
    assert.deepEqual(printed, [pathToFileURL(source).href, path.dirname(source), source, "import.meta.url"]);
  });

  it("when the test files are listed, then each is a .test.ts under test/, this one among them, in path order", async () => {
    const files = await testFiles();
    assert.ok(files.includes(path.join("test", "helpers", "test-bundles.test.ts")));
    assert.ok(files.every((file) => file.startsWith(`test${path.sep}`) && file.endsWith(".test.ts")));
    assert.deepEqual(files, [...files].sort());
  });
});
