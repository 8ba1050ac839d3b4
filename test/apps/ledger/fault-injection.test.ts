// The crash hook for recovery tests: which commit it dies after, and that it dies there, in a real
// process of its own.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { exitAfterDbCommitFrom } from "../../../apps/ledger/fault-injection.ts";

const hookModule = fileURLToPath(new URL("../../../apps/ledger/fault-injection.ts", import.meta.url));
const logModule = fileURLToPath(new URL("../../../apps/shared/log.ts", import.meta.url));

/** Runs a script (ESM, with tsx's loader) and resolves with its output and how it ended. */
function runScript(code: string): Promise<{ output: string; code: number | null; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "--eval", code], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once("close", (code, signal) => resolve({ output, code, signal })));
}

describe("ledger fault injection", () => {
  it("when LEDGER_FAULT_EXIT_AFTER_DB_COMMIT is read, then it is the commit to die after; unset or empty is none", () => {
    assert.equal(exitAfterDbCommitFrom({}), undefined);
    assert.equal(exitAfterDbCommitFrom({ LEDGER_FAULT_EXIT_AFTER_DB_COMMIT: "" }), undefined);
    assert.equal(exitAfterDbCommitFrom({ LEDGER_FAULT_EXIT_AFTER_DB_COMMIT: "2" }), 2);
    assert.throws(() => exitAfterDbCommitFrom({ LEDGER_FAULT_EXIT_AFTER_DB_COMMIT: "x" }), /integer >= 1/);
  });

  it("when the hook is set for commit 2, then the process goes on after commit 1 and is SIGKILLed at commit 2, saying so", async () => {
    const { output, signal } = await runScript(`
      import { crashAfterCommit } from ${JSON.stringify(hookModule)};
      import { createLog } from ${JSON.stringify(logModule)};
      const afterCommit = crashAfterCommit(2, createLog("ledger"));
      await afterCommit();
      console.log("went on after commit 1");
      await afterCommit();
      console.log("went on after commit 2");
    `);
    assert.equal(signal, "SIGKILL", output);
    assert.match(output, /went on after commit 1/);
    assert.match(output, /fault injection: SIGKILL after database commit 2/);
    assert.doesNotMatch(output, /went on after commit 2/);
  });
});
