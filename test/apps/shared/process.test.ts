// runUntilSignalled in real child processes: how a service process starts, stops and fails.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { serviceReadyLine } from "../../../apps/shared/process.ts";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

/**
 * A service whose start and stop succeed or fail as `mode` says ("ok", "start-fails", "stop-fails").
 * Like the real services, it prints its ready line inside start(): a signal sent the moment that
 * line appears must still stop it cleanly.
 */
const serviceScript = (mode: string) => `
import { createLog } from "./apps/shared/log.ts";
import { runUntilSignalled } from "./apps/shared/process.ts";
const log = createLog("demo");
await runUntilSignalled(log, async () => {
  if ("${mode}" === "start-fails") throw new Error("no database");
  const keepAlive = setInterval(() => {}, 1000);
  log.info("consuming points.events as group demo");
  return {
    async stop() {
      clearInterval(keepAlive);
      if ("${mode}" === "stop-fails") throw new Error("commit failed");
      log.info("stopped cleanly");
    },
  };
});
`;

interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function run(mode: string): Run {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", serviceScript(mode)], {
    cwd: repoRoot,
    env: { ...process.env, LOG_FORMAT: "human" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exit };
}

async function untilReady(service: Run): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (serviceReadyLine.test(service.output())) resolve();
    };
    service.child.stdout!.on("data", check);
    service.exit.then(() => reject(new Error(`exited before ready:\n${service.output()}`)));
    check();
  });
}

describe("runUntilSignalled", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`when a started service gets ${signal}, then it is stopped and the process exits 0`, async () => {
      const service = run("ok");
      await untilReady(service);
      service.child.kill(signal);
      assert.equal(await service.exit, 0);
      assert.match(service.output(), new RegExp(`\\[demo\\] ${signal}: stopping\\n\\[demo\\] stopped cleanly\\n`));
    });
  }

  it("when the start fails, then one line says why and the process exits 1", async () => {
    const service = run("start-fails");
    assert.equal(await service.exit, 1);
    assert.equal(service.output(), "[demo] failed to start: no database\n");
  });

  it("when the stop fails, then one line says why and the process exits 1", async () => {
    const service = run("stop-fails");
    await untilReady(service);
    service.child.kill("SIGTERM");
    assert.equal(await service.exit, 1);
    assert.match(service.output(), /\[demo\] stop failed: commit failed\n$/);
  });
});

describe("serviceReadyLine", () => {
  it("when a consumer service or points-api is ready, then its line matches, in human and JSON form, with the API's URL", () => {
    assert.ok(serviceReadyLine.test("[ledger] consuming points.commands as group ledger"));
    assert.equal(
      serviceReadyLine.exec("[points-api] points-api listening on http://127.0.0.1:3000")?.[1],
      "http://127.0.0.1:3000",
    );
    assert.equal(
      serviceReadyLine.exec('{"level":"info","message":"points-api listening on http://127.0.0.1:3000"}')?.[1],
      "http://127.0.0.1:3000",
    );
    assert.equal(serviceReadyLine.test("[ledger] joined group ledger"), false);
  });
});
