import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { quorumRequestTimeoutMs, raftConfigFrom } from "../../../broker/raft/quorum-config.ts";
import { ConfigError, parseArgs, parseQuorumVoters } from "../../../broker/server/config.ts";

describe("the quorum's settings", () => {
  it("when controller.quorum.voters is read, then each id maps to its host and port", () => {
    assert.deepEqual(
      parseQuorumVoters("0@127.0.0.1:9092, 1@broker-1:9093,2@::1:9094"),
      new Map([
        [0, { host: "127.0.0.1", port: 9092 }],
        [1, { host: "broker-1", port: 9093 }],
        [2, { host: "::1", port: 9094 }],
      ]),
    );
  });

  it("when an entry is malformed or repeated, then a ConfigError names it", () => {
    assert.throws(() => parseQuorumVoters("0@host"), /"0@host" is not id@host:port/);
    assert.throws(() => parseQuorumVoters("0@h:1,0@h:2"), /node 0 twice/);
    assert.throws(() => parseQuorumVoters(""), ConfigError);
    assert.throws(() => parseQuorumVoters("0@h:70000"), ConfigError);
  });

  it("when the broker's config is given, then the timings come from its controller.quorum properties", () => {
    const config = parseArgs([
      "--node-id",
      "2",
      "--config",
      "controller.quorum.election.timeout.ms=300",
      "--config",
      "controller.quorum.request.timeout.ms=900",
    ]);
    const raft = raftConfigFrom(config, [2, 0, 1]);
    assert.equal(raft.nodeId, 2);
    assert.deepEqual(raft.voters, [0, 1, 2]);
    assert.equal(raft.electionTimeoutMs, 300);
    assert.equal(raft.fetchTimeoutMs, 2000);
    assert.equal(raft.electionBackoffMaxMs, 1000);
    assert.equal(raft.retryBackoffMs, 20);
    assert.equal(quorumRequestTimeoutMs(config), 900);
  });
});
