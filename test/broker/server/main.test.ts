import assert from "node:assert/strict";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createKafka } from "../../../broker/client/factory.ts";
import { logLevel } from "../../../broker/client/index.ts";
import { Apis } from "../../../broker/protocol/apis.ts";
import { CLEAN_SHUTDOWN_FILE } from "../../../broker/storage/clean-shutdown.ts";
import { startBroker } from "../../helpers/broker-process.ts";
import { runScript, startScript } from "../../helpers/command.ts";
import { createTopicsRequest } from "../../helpers/requests.ts";
import { useScratchDirs } from "../../helpers/scratch-dirs.ts";
import { waitFor } from "../../helpers/wait.ts";
import { WireClient } from "../../helpers/wire-client.ts";

const main = "broker/server/main.ts";

describe("broker command line", () => {
  const scratchDir = useScratchDirs("broker-main-");

  it("when an option is wrong, then it prints one line naming it and exits 2", async () => {
    const run = await runScript(main, ["--port", "0", "--frobnicate"]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim().split("\n").length, 1);
    assert.match(run.stderr, /^broker: unknown option '--frobnicate'/);
  });

  it("when --help is given, then it describes every option with its default and the --config properties, and exits 0", async () => {
    const run = await runScript(main, ["--help"]);
    assert.equal(run.code, 0);
    for (const option of ["--host", "--port", "--node-id", "--data-dir", "--config <key=value>"])
      assert.match(run.stdout, new RegExp(option));
    assert.match(run.stdout, /\(default: 9092\)/);
    assert.match(run.stdout, /num\.partitions +1\n/);
  });

  it("when it runs, then stdout has only the listening line and stderr only JSON lines with time, level, message and fields", async () => {
    const dir = scratchDir();
    const broker = startScript(main, ["--port", "0", "--data-dir", dir]);
    await waitFor(() => broker.stdout().includes("\n"), { message: () => broker.output() });
    broker.child.kill("SIGTERM");
    assert.equal(await broker.exited, 0, broker.stderr());
    assert.match(broker.stdout(), /^listening on 127\.0\.0\.1:\d+\n$/);
    const lines = broker
      .stderr()
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
    // The signal is logged first; the controller and the quorum say they stop; the broker's line is last.
    const shutdown = lines.findIndex((line) => line.message === "shutting down");
    assert.equal(lines[shutdown]?.signal, "SIGTERM");
    assert.equal(lines.at(-1)?.message, "broker stopped");
    assert.ok(lines.findIndex((line) => line.message === "raft node stopped") > shutdown);
  });

  it("when started with --port 0, then it prints the chosen port; on SIGTERM it exits 0 and keeps its topics", async () => {
    const broker = await startBroker();
    try {
      assert.ok(broker.port > 0);
      assert.match(broker.output(), new RegExp(`listening on 127\\.0\\.0\\.1:${broker.port}`));
      const client = await WireClient.connect(broker.address);
      await client.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "kept", numPartitions: 4 }], 1000));
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

  it("when it stops on SIGTERM, then it leaves the clean shutdown marker, takes it at the next start and serves every record; after kill -9 there is none, and none is left while a log it never opened was not recovered", async () => {
    const broker = await startBroker();
    const marker = join(broker.dataDir, CLEAN_SHUTDOWN_FILE);
    // The broker's port changes at each restart: a client per call.
    const kafka = () => createKafka({ clientId: "marker-test", brokers: [broker.address], logLevel: logLevel.NOTHING });
    const highWatermark = async (): Promise<string> => {
      const admin = (await kafka()).admin();
      await admin.connect();
      try {
        const [offsets] = await admin.fetchTopicOffsets("marked");
        return offsets!.high;
      } finally {
        await admin.disconnect();
      }
    };
    try {
      assert.equal(existsSync(marker), false, "none on a first start");
      const producer = (await kafka()).producer();
      await producer.connect();
      for (let i = 0; i < 3; i++) {
        await producer.send({ topic: "marked", acks: -1, messages: [{ value: `a${i}` }, { value: `b${i}` }] });
      }
      await producer.disconnect();

      assert.equal(await broker.stop(), 0);
      assert.equal(existsSync(marker), true, "a clean stop leaves the marker");
      await broker.restart();
      assert.equal(existsSync(marker), false, "taken at start, before any log is written");
      assert.equal(await highWatermark(), "6");

      await broker.kill();
      assert.equal(existsSync(marker), false, "kill -9 leaves none: the next start recovers every log");
      // A partition directory no topic of the metadata names: never opened, so never recovered.
      const stray = join(broker.dataDir, "stray-0");
      mkdirSync(stray);
      await broker.restart();
      assert.equal(await highWatermark(), "6");
      assert.equal(await broker.stop(), 0);
      assert.equal(existsSync(marker), false, "not after an unclean start that left a log unopened");
      rmSync(stray, { recursive: true });
      await broker.restart();
      assert.equal(await broker.stop(), 0);
      assert.equal(existsSync(marker), true, "once every log was opened (and so recovered) again");
    } finally {
      await broker.cleanup();
    }
  });
});
