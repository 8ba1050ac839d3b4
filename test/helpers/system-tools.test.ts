// The system-tools guard: a tool is found on PATH or its tests are skipped with the install hint,
// REQUIRE_TEST_TOOLS=1 turns the skip into a failure, and the SKIPPED line comes once per test run
// even though node --test runs each file in a process of its own.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { firstInRun, guarded, locate, REQUIRE_TOOLS_VARIABLE, type SystemTool, verdictFor } from "./system-tools.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const helperModule = fileURLToPath(new URL("./system-tools.ts", import.meta.url));

describe("system tools", () => {
  const scratch = mkdtempSync(join(tmpdir(), "system-tools-test-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  const tool: SystemTool = { command: "h6-probe-tool", install: "apt-get install -y h6-probe-tool" };
  const binWith = (name: string, mode: number): string => {
    const bin = mkdtempSync(join(scratch, "bin-"));
    writeFileSync(join(bin, name), "#!/bin/sh\n");
    chmodSync(join(bin, name), mode);
    return bin;
  };

  it("when the tool is an executable on PATH, then it is found there and its tests run", () => {
    const bin = binWith(tool.command, 0o755);
    const env = { PATH: ["/nonexistent", bin].join(":") };
    assert.equal(locate(tool, env), join(bin, tool.command));
    assert.deepEqual(verdictFor([tool], env), { run: true });
  });

  it("when a tool has a probe, then the first one on PATH that passes it is found, and none when none does", () => {
    const probed: SystemTool = { ...tool, probe: ["--works"] };
    const failing = mkdtempSync(join(scratch, "bin-"));
    writeFileSync(join(failing, tool.command), "#!/bin/sh\nexit 1\n");
    chmodSync(join(failing, tool.command), 0o755);
    const passing = mkdtempSync(join(scratch, "bin-"));
    writeFileSync(join(passing, tool.command), '#!/bin/sh\n[ "$1" = --works ]\n');
    chmodSync(join(passing, tool.command), 0o755);
    assert.equal(locate(probed, { PATH: [failing, passing].join(":") }), join(passing, tool.command));
    assert.equal(locate(probed, { PATH: failing }), undefined);
    assert.equal(locate(tool, { PATH: failing }), join(failing, tool.command));
  });

  it("when the tool is missing or not executable, then its tests are skipped with what to install", () => {
    const env = { PATH: binWith(tool.command, 0o644) };
    assert.equal(locate(tool, env), undefined);
    const verdict = verdictFor([tool], env);
    assert.deepEqual(verdict, {
      run: false,
      missing: [tool],
      reason: "h6-probe-tool not found on PATH — apt-get install -y h6-probe-tool",
      fail: false,
    });
    const body = () => undefined;
    assert.deepEqual(guarded(verdict, { timeout: 5 }, body), [
      { timeout: 5, skip: "h6-probe-tool not found on PATH — apt-get install -y h6-probe-tool" },
      body,
    ]);
  });

  it("when REQUIRE_TEST_TOOLS=1 and the tool is missing, then the body fails with the same text instead", () => {
    const verdict = verdictFor([tool], { PATH: "", [REQUIRE_TOOLS_VARIABLE]: "1" });
    assert.equal(verdict.run === false && verdict.fail, true);
    const [options, body] = guarded(verdict, { timeout: 5 }, () => "ran");
    assert.deepEqual(options, { timeout: 5 });
    assert.throws(
      body,
      /^Error: h6-probe-tool not found on PATH — apt-get install -y h6-probe-tool \(REQUIRE_TEST_TOOLS=1/,
    );
  });

  it("when the tool is present, then REQUIRE_TEST_TOOLS changes nothing", () => {
    const body = () => "ran";
    const env = { PATH: binWith(tool.command, 0o755), [REQUIRE_TOOLS_VARIABLE]: "1" };
    assert.deepEqual(guarded(verdictFor([tool], env), {}, body), [{}, body]);
  });

  it("when processes of one run claim a key, then only the first gets it, and markers of ended runs are cleared", () => {
    const markers = mkdtempSync(join(scratch, "markers-"));
    const run = `${process.pid}-1`;
    assert.equal(firstInRun("kcat", run, markers), true);
    assert.equal(firstInRun("kcat", run, markers), false);
    assert.equal(firstInRun("chromium", run, markers), true);
    assert.equal(firstInRun("kcat", `${process.pid}-2`, markers), true, "a reused pid is another run");
    // No process has pid 999999999 (Linux caps pids far lower): its run has ended.
    writeFileSync(join(markers, "999999999-1--kcat"), "");
    firstInRun("other", run, markers);
    assert.equal(readdirSync(markers).includes("999999999-1--kcat"), false);
  });

  it("when two test files of one node --test run skip for the same missing tool, then the SKIPPED line is printed once, and with REQUIRE_TEST_TOOLS=1 the run fails", () => {
    const files = ["a", "b"].map((name) => {
      const file = join(scratch, `${name}.test.ts`);
      writeFileSync(
        file,
        `import { it } from "node:test";\n` +
          `import { needs } from ${JSON.stringify(helperModule)};\n` +
          `it("${name} needs the probe", ...needs(${JSON.stringify(tool)}, () => {}));\n`,
      );
      return file;
    });
    // A run of its own: without this process's NODE_TEST_CONTEXT, which would make it a child of this run.
    const { NODE_TEST_CONTEXT: _ownRun, ...env } = process.env;
    const runFiles = (extraEnv: Record<string, string>) =>
      spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=tap", ...files], {
        cwd: repoRoot,
        encoding: "utf8",
        env: { ...env, [REQUIRE_TOOLS_VARIABLE]: "", ...extraEnv },
      });

    const skipped = runFiles({});
    const output = skipped.stdout + skipped.stderr;
    assert.equal(skipped.status, 0, output);
    assert.equal(output.match(/SKIPPED every test that needs h6-probe-tool/g)?.length, 1, output);
    assert.match(output, /# SKIP h6-probe-tool not found on PATH — apt-get install -y h6-probe-tool/);
    assert.match(output, /# skipped 2/);

    const required = runFiles({ [REQUIRE_TOOLS_VARIABLE]: "1" });
    assert.equal(required.status, 1, required.stdout);
    assert.match(required.stdout, /# fail 2/);
    assert.match(
      required.stdout,
      /h6-probe-tool not found on PATH — apt-get install -y h6-probe-tool \(REQUIRE_TEST_TOOLS=1/,
    );
  });
});
