import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Apis } from "../../../broker/protocol/apis.ts";
import { startBroker } from "../../helpers/broker-process.ts";
import { waitFor } from "../../helpers/wait.ts";
import { WireClient } from "../../helpers/wire-client.ts";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

describe("broker command line", () => {
  it("when an option is wrong, then it prints one line naming it and exits 2", () => {
    const run = spawnSync(
      process.execPath,
      ["--import", "tsx", "broker/server/main.ts", "--port", "0", "--frobnicate"],
      { cwd: repoRoot, encoding: "utf8" },
    );
    assert.equal(run.status, 2);
    assert.equal(run.stderr.trim().split("\n").length, 1);
    assert.match(run.stderr, /^broker: unknown option '--frobnicate'/);
  });

  it("when --help is given, then it describes every option with its default and the --config properties, and exits 0", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "broker/server/main.ts", "--help"], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    assert.equal(run.status, 0);
    for (const option of ["--host", "--port", "--node-id", "--data-dir", "--config <key=value>"])
      assert.match(run.stdout, new RegExp(option));
    assert.match(run.stdout, /\(default: 9092\)/);
    assert.match(run.stdout, /num\.partitions +1\n/);
  });

  it("when it runs, then stdout has only the listening line and stderr only JSON lines with time, level, message and fields", async () => {
    const dir = mkdtempSync(join(tmpdir(), "broker-main-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "broker/server/main.ts", "--port", "0", "--data-dir", dir],
      {
        cwd: repoRoot,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await waitFor(() => stdout.includes("\n"), { message: () => stdout + stderr });
    child.kill("SIGTERM");
    assert.equal(await exited, 0, stderr);
    assert.match(stdout, /^listening on 127\.0\.0\.1:\d+\n$/);
    const lines = stderr
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const line of lines) {
      assert.ok(!Number.isNaN(Date.parse(line.time as string)), JSON.stringify(line));
      assert.match(line.level as string, /^(debug|info|warn|error)$/);
      assert.equal(typeof line.message, "string");
    }
    const started = lines.find((line) => line.message === "broker started");
    assert.deepEqual({ nodeId: started?.nodeId, dataDir: started?.dataDir }, { nodeId: 0, dataDir: dir });
    assert.deepEqual(
      lines.slice(-2).map((line) => [line.message, line.signal]),
      [
        ["shutting down", "SIGTERM"],
        ["broker stopped", undefined],
      ],
    );
  });

  it("when started with --port 0, then it prints the chosen port; on SIGTERM it exits 0 and keeps its topics", async () => {
    const broker = await startBroker();
    try {
      assert.ok(broker.port > 0);
      assert.match(broker.output(), new RegExp(`listening on 127\\.0\\.0\\.1:${broker.port}`));
      const client = await WireClient.connect(broker.address);
      await client.request(Apis.CreateTopics, 4, {
        topics: [{ name: "kept", numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 1000,
        validateOnly: false,
      });
      client.close();
      assert.equal(await broker.stop(), 0);
      assert.match(broker.output(), /"message":"broker stopped"/);
      await broker.restart();
      const again = await WireClient.connect(broker.address);
      const metadata = await again.request(Apis.Metadata, 1, {
        topics: [{ name: "kept" }],
        allowAutoTopicCreation: false,
      });
      again.close();
      assert.equal(metadata.topics[0]!.partitions.length, 4);
    } finally {
      await broker.cleanup();
    }
  });
});
