import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "../../../broker/server/config.ts";
import { clusterIdForVoters, loadMetaProperties } from "../../../broker/server/meta-properties.ts";
import { useScratchDirs } from "../../helpers/scratch-dirs.ts";

describe("meta.properties", () => {
  const scratch = useScratchDirs("meta-properties-");
  const voters = "0@127.0.0.1:9092,1@127.0.0.1:9093,2@127.0.0.1:9094";

  it("when a new data dir joins a cluster named by its voters, then every node derives the same 22-character cluster id", () => {
    const a = loadMetaProperties({ dataDir: scratch(), nodeId: 0, clusterId: "", voters });
    const b = loadMetaProperties({
      dataDir: scratch(),
      nodeId: 2,
      clusterId: "",
      voters: voters.split(",").reverse().join(","),
    });
    assert.equal(a.clusterId, b.clusterId);
    assert.equal(a.clusterId, clusterIdForVoters(voters));
    assert.match(a.clusterId, /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(clusterIdForVoters("0@127.0.0.1:9092"), a.clusterId);
  });

  it("when the dir was used before, then the written ids are read back whatever the voters say now", () => {
    const dir = scratch();
    const first = loadMetaProperties({ dataDir: dir, nodeId: 1, clusterId: "", voters });
    assert.match(
      readFileSync(join(dir, "meta.properties"), "utf8"),
      new RegExp(`^cluster\\.id=${first.clusterId}$`, "m"),
    );
    const again = loadMetaProperties({ dataDir: dir, nodeId: 1, clusterId: "", voters: "1@127.0.0.1:1" });
    assert.deepEqual(again, first);
  });

  it("when the dir belongs to another node or cluster, then starting there is refused with a ConfigError naming both", () => {
    const dir = scratch();
    loadMetaProperties({ dataDir: dir, nodeId: 1, clusterId: "", voters });
    assert.throws(
      () => loadMetaProperties({ dataDir: dir, nodeId: 2, clusterId: "", voters }),
      (error: Error) => error instanceof ConfigError && /belongs to node 1, not node 2/.test(error.message),
    );
    assert.throws(
      () => loadMetaProperties({ dataDir: dir, nodeId: 1, clusterId: "AAAAAAAAAAAAAAAAAAAAAA", voters }),
      (error: Error) => error instanceof ConfigError && /not cluster AAAAAAAAAAAAAAAAAAAAAA/.test(error.message),
    );
  });

  it("when a lone broker's dir has an older cluster-metadata.json, then its cluster id is kept; without one a random id is made", () => {
    const old = scratch();
    writeFileSync(join(old, "cluster-metadata.json"), JSON.stringify({ clusterId: "legacy-cluster-id-12345" }));
    assert.equal(
      loadMetaProperties({ dataDir: old, nodeId: 0, clusterId: "", voters: "" }).clusterId,
      "legacy-cluster-id-12345",
    );
    const a = loadMetaProperties({ dataDir: scratch(), nodeId: 0, clusterId: "", voters: "" });
    const b = loadMetaProperties({ dataDir: scratch(), nodeId: 0, clusterId: "", voters: "" });
    assert.notEqual(a.clusterId, b.clusterId);
  });

  it("when cluster.id is configured, then a new dir takes it", () => {
    const given = loadMetaProperties({ dataDir: scratch(), nodeId: 0, clusterId: "MkU3OEVBNTcwNTJENDM2Qk", voters });
    assert.equal(given.clusterId, "MkU3OEVBNTcwNTJENDM2Qk");
  });
});
