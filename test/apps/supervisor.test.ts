// The supervisor on real child processes: small scripts written for each test that print a ready
// line, log, crash or stop as told.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Supervisor } from "../../apps/supervisor.ts";
import { waitFor } from "../helpers/wait.ts";

// argv: name, then what to do: "serve" (ready, then wait for SIGTERM), "crash-after-ready",
// "exit-before-ready", "ignore-sigterm"; SIGTERM appends "stopped <name>" to STOP_LOG.
const childScript = `
import { appendFileSync } from "node:fs";
const [name, mode] = process.argv.slice(2);
if (mode === "exit-before-ready") {
  console.log("[" + name + "] cannot start: no database");
  process.exit(3);
}
process.on("SIGTERM", () => {
  if (mode === "ignore-sigterm") return;
  appendFileSync(process.env.STOP_LOG, "stopped " + name + "\\n");
  process.exit(0);
});
console.log("[" + name + "] ready on 127.0.0.1:" + process.pid);
console.error("a line on stderr");
if (mode === "crash-after-ready") setTimeout(() => process.exit(1), 10);
setInterval(() => {}, 1000);
`;

describe("Supervisor", () => {
  let dir: string;
  let script: string;
  const readyLine = /ready on (\S+)/;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "supervisor-test-"));
    script = join(dir, "child.mjs");
    writeFileSync(script, childScript);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const spec = (label: string, mode: string, extra: object = {}) => ({
    label,
    script,
    args: [label.split("#")[0]!, mode],
    env: { STOP_LOG: join(dir, `${label}-stops.log`) },
    readyLine,
    ...extra,
  });

  it("when a child prints its ready line, then the start resolves with the match, and every line is passed on under the child's label", async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor((line) => lines.push(line));
    try {
      const match = await supervisor.start(spec("ledger#2", "serve"));
      assert.match(match[1]!, /^127\.0\.0\.1:\d+$/);
      await waitFor(() => lines.length >= 2, { message: "both lines passed on" });
      // The service's own [ledger] prefix gives way to the label; other lines get the label added.
      assert.deepEqual(lines.sort(), [`[ledger#2] a line on stderr`, `[ledger#2] ready on ${match[1]}`].sort());
    } finally {
      await supervisor.stopAll();
    }
  });

  it("when a child has show and format, then only the lines it shows pass, as it formats them", async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor((line) => lines.push(line));
    try {
      await supervisor.start(
        spec("api", "serve", {
          show: (line: string) => line.includes("ready"),
          format: (line: string) => `>> ${line}`,
        }),
      );
      await waitFor(() => lines.length >= 1, { message: "the ready line passed on" });
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /^>> \[api\] ready on /);
    } finally {
      await supervisor.stopAll();
    }
  });

  it("when a child exits before its ready line, then the start rejects with its exit code and its last lines", async () => {
    const supervisor = new Supervisor(() => {});
    await assert.rejects(supervisor.start(spec("ledger", "exit-before-ready")), {
      message: "ledger exited (3) before it was ready:\n[ledger] cannot start: no database",
    });
  });

  it("when all are stopped, then each gets SIGTERM, the last started first, each after the one before has exited", async () => {
    const supervisor = new Supervisor(() => {});
    const log = join(dir, "order.log");
    writeFileSync(log, "");
    for (const name of ["broker", "ledger", "api"]) {
      await supervisor.start({ ...spec(name, "serve"), env: { STOP_LOG: log } });
    }
    await supervisor.stopAll();
    assert.equal(readFileSync(log, "utf8"), "stopped api\nstopped ledger\nstopped broker\n");
  });

  it("when one child is stopped by label, then it gets that signal, is not restarted, and the others run on", async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor((line) => lines.push(line));
    try {
      await supervisor.start(spec("member#1", "serve"));
      await supervisor.start(spec("member#2", "serve"));
      await supervisor.start(spec("member#3", "serve"));
      const before = Date.now();
      const exitedAt = await supervisor.stop("member#1");
      assert.ok(exitedAt >= before);
      assert.equal(readFileSync(join(dir, "member#1-stops.log"), "utf8"), "stopped member\n");
      await supervisor.stop("member#2", "SIGKILL");
      await assert.rejects(supervisor.stop("member#2"), /no running child labelled member#2/);
      // A stopped child may be started again under its label.
      await supervisor.start(spec("member#1", "serve"));
      // A restart would have been announced as the child exited, before stop() resolved.
      assert.equal(lines.filter((line) => line.includes("exited")).length, 0, lines.join(" | "));
    } finally {
      await supervisor.stopAll();
    }
    assert.equal(readFileSync(join(dir, "member#3-stops.log"), "utf8"), "stopped member\n");
  });

  it("when a child ignores SIGTERM, then it is killed once the grace time is over", async () => {
    const supervisor = new Supervisor(() => {});
    await supervisor.start(spec("stubborn", "ignore-sigterm"));
    await supervisor.stopAll(100);
  });

  it("when a ready child dies on its own, then it is restarted and ready again; with restart off, then it stays down", async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor((line) => lines.push(line));
    try {
      await supervisor.start(spec("flaky", "crash-after-ready"));
      await supervisor.start(spec("fragile", "crash-after-ready", { restart: false }));
      await waitFor(() => lines.filter((line) => line.startsWith("[flaky] ready on")).length >= 2, {
        message: () => `flaky restarted and ready again; lines: ${lines.join(" | ")}`,
      });
      assert.ok(lines.includes("[flaky] exited (1); restarting in 1 s"));
      assert.equal(lines.filter((line) => line.startsWith("[fragile] ready on")).length, 1);
      assert.equal(
        lines.some((line) => line.startsWith("[fragile] exited")),
        false,
      );
    } finally {
      await supervisor.stopAll();
    }
  });

  it("when children are signalled, killed, started again and removed, then each is listed with its pid and status", async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor((line) => lines.push(line));
    try {
      await supervisor.start(spec("broker-0", "serve"));
      await supervisor.start(spec("ledger", "serve"));
      const pidOf = (label: string) => supervisor.children().find((c) => c.label === label)?.pid;
      const statusOf = (label: string) => supervisor.children().find((c) => c.label === label)?.status;
      assert.deepEqual(
        supervisor.children().map(({ label, status }) => [label, status]),
        [
          ["broker-0", "running"],
          ["ledger", "running"],
        ],
      );
      const brokerPid = pidOf("broker-0")!;
      assert.equal(typeof brokerPid, "number");

      supervisor.signal("broker-0", "SIGSTOP");
      assert.equal(statusOf("broker-0"), "paused");
      await waitFor(() => readFileSync(`/proc/${brokerPid}/stat`, "utf8").split(" ")[2] === "T", {
        message: "the child stopped by SIGSTOP",
      });
      supervisor.signal("broker-0", "SIGCONT");
      assert.equal(statusOf("broker-0"), "running");

      // Killed: stays down, listed as stopped, then started again from its spec under a new pid.
      supervisor.signal("broker-0", "SIGSTOP");
      await supervisor.stop("broker-0", "SIGKILL");
      assert.deepEqual(
        supervisor.children().find((c) => c.label === "broker-0"),
        { label: "broker-0", pid: null, status: "stopped" },
      );
      await supervisor.startAgain("broker-0");
      assert.equal(statusOf("broker-0"), "running");
      assert.notEqual(pidOf("broker-0"), brokerPid);
      await assert.rejects(supervisor.startAgain("broker-0"), /broker-0 is running already/);
      await assert.rejects(supervisor.startAgain("nobody"), /no child labelled nobody/);
      assert.throws(() => supervisor.signal("nobody", "SIGCONT"), /no running child labelled nobody/);

      // A paused child still stops on SIGTERM; removed, it is no longer listed.
      supervisor.signal("ledger", "SIGSTOP");
      await supervisor.remove("ledger", 5_000);
      assert.equal(readFileSync(join(dir, "ledger-stops.log"), "utf8"), "stopped ledger\n");
      assert.deepEqual(
        supervisor.children().map((c) => c.label),
        ["broker-0"],
      );
      assert.equal(lines.filter((line) => line.includes("restarting")).length, 0, lines.join(" | "));
    } finally {
      await supervisor.stopAll();
    }
  });
});
