import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import { Broker } from "../../../../broker/server/broker.ts";
import { parseArgs } from "../../../../broker/server/config.ts";
import { silentLogger } from "../../../../broker/server/logger.ts";
import { LEGACY_METADATA_FILE, legacyBootstrapRecords } from "../../../../broker/server/metadata/legacy-bootstrap.ts";
import { nodeFileSystem } from "../../../../broker/storage/file-system.ts";
import { PartitionLog } from "../../../../broker/storage/partition-log.ts";
import { useScratchDirs } from "../../../helpers/scratch-dirs.ts";
import { waitFor } from "../../../helpers/wait.ts";

const topicId = "0123456789abcdef0123456789abcdef";

/** A data dir as a lone broker of the earlier version left it: its JSON metadata and one topic's log. */
function legacyDataDir(dir: string): void {
  writeFileSync(
    join(dir, LEGACY_METADATA_FILE),
    JSON.stringify({
      clusterId: "legacyClusterId0000000",
      nextProducerId: "5000",
      topics: [
        {
          name: "points.events",
          topicId,
          isInternal: false,
          partitions: [
            { partition: 0, leader: 0, leaderEpoch: 0, replicas: [0], isr: [0] },
            { partition: 1, leader: 0, leaderEpoch: 0, replicas: [0], isr: [0] },
          ],
          configs: { "retention.ms": "60000" },
        },
      ],
    }),
  );
  const logDir = join(dir, "points.events-1");
  mkdirSync(logDir, { recursive: true });
  const log = PartitionLog.open(nodeFileSystem, logDir);
  log.append(encodeRecordBatch({ records: [{ key: null, value: Buffer.from("kept"), timestamp: 1n }] }));
  log.close();
}

describe("legacy bootstrap", () => {
  const scratch = useScratchDirs("legacy-bootstrap-");

  it("when a dir has no legacy metadata, then there is nothing to bootstrap", () => {
    assert.deepEqual(legacyBootstrapRecords(scratch(), 0), []);
  });

  it("when a dir has legacy metadata, then its topics become records for this node: topic, partitions led here, configs, producer ids", () => {
    const dir = scratch();
    legacyDataDir(dir);
    const records = legacyBootstrapRecords(dir, 4);
    assert.deepEqual(
      records.map((r) => r.type),
      ["TopicRecord", "PartitionRecord", "PartitionRecord", "ConfigRecord", "ProducerIdsRecord"],
    );
    const partition = records[2]!;
    assert.equal(partition.type, "PartitionRecord");
    if (partition.type === "PartitionRecord") {
      assert.deepEqual([partition.data.partitionId, partition.data.leader, partition.data.replicas], [1, 4, [4]]);
      assert.equal(partition.data.topicId.toString("hex"), topicId);
    }
  });

  it("when a lone broker starts on a legacy dir, then its topics, ids, configs, records and producer ids carry on", async () => {
    const dir = scratch();
    legacyDataDir(dir);
    const broker = new Broker(parseArgs(["--port", "0", "--data-dir", dir]), silentLogger);
    await broker.start();
    try {
      const state = broker.current!;
      assert.equal(state.cluster.clusterId, "legacyClusterId0000000");
      const topic = state.cluster.topic("points.events")!;
      assert.equal(topic.topicId.toString("hex"), topicId);
      assert.equal(topic.partitions.length, 2);
      assert.equal(topic.configs["retention.ms"], "60000");
      await waitFor(() => state.topics.partition("points.events", 1)?.replication.isLeader === true);
      assert.equal(state.topics.partition("points.events", 1)!.log.logEndOffset, 1n);
      assert.ok((await state.kraft.producerIds.next()) >= 5000n);
    } finally {
      await broker.stop();
    }
  });
});
