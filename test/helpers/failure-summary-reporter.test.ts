// The failure summary reporter: CI keeps only the tail of `npm test`'s output, so every failed test
// must be named again at the end, with its file and error, and a green run must add nothing.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { useScratchDirs } from "./scratch-dirs.ts";

const reporter = fileURLToPath(new URL("./failure-summary-reporter.mjs", import.meta.url));

function runWithReporter(file: string): { status: number | null; stdout: string } {
  const run = spawnSync(
    process.execPath,
    [
      "--test",
      "--test-reporter=tap",
      "--test-reporter-destination=stdout",
      `--test-reporter=${reporter}`,
      "--test-reporter-destination=stdout",
      file,
    ],
    // Without NODE_TEST_CONTEXT the child is a test run of its own, not a subtest reporting to this one.
    { encoding: "utf8", env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
  );
  return { status: run.status, stdout: run.stdout };
}

describe("failure summary reporter", () => {
  const scratch = useScratchDirs("failure-summary-test-");

  it("when tests fail, then the end of the output names each failed test, its file and its error, and no suite that only holds one", () => {
    const file = join(scratch(), "fixture.mjs");
    writeFileSync(
      file,
      [
        'import { describe, it } from "node:test";',
        'describe("the suite", () => {',
        '  it("when it passes, then fine", () => {});',
        '  it("when it compares, then it fails", () => { throw new Error("expected 1, got 2"); });',
        "});",
        'it("when it rejects, then it fails too", async () => { throw new Error("rejected here"); });',
      ].join("\n"),
    );
    const { status, stdout } = runWithReporter(file);
    assert.equal(status, 1);
    const summary = stdout.slice(stdout.lastIndexOf("# 2 failed:"));
    assert.match(summary, /^# 2 failed:/);
    assert.match(summary, /✖ when it compares, then it fails\n {2}at .*fixture\.mjs:4\n {4}Error: expected 1, got 2/);
    assert.match(summary, /✖ when it rejects, then it fails too\n {2}at .*fixture\.mjs:6\n {4}Error: rejected here/);
    assert.doesNotMatch(summary, /✖ the suite/);
    assert.doesNotMatch(summary, /when it passes/);
  });

  it("when every test passes, then the summary adds nothing after the TAP output", () => {
    const file = join(scratch(), "fixture.mjs");
    writeFileSync(file, 'import { it } from "node:test";\nit("when it passes, then fine", () => {});\n');
    const { status, stdout } = runWithReporter(file);
    assert.equal(status, 0);
    assert.match(stdout, /# pass 1/);
    assert.doesNotMatch(stdout, /failed:/);
  });
});
