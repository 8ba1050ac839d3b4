import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Apis } from "../../../broker/protocol/apis.ts";
import { startBroker } from "../../helpers/broker-process.ts";
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
    assert.match(run.stderr, /unknown option --frobnicate/);
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
