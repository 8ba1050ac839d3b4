// What the cluster launcher decides before any broker starts: the controller quorum the brokers are
// told, free ports when asked for port 0, and the replication settings a replicated demo gets. Starting, restarting and stopping the broker processes
// is tested as `npm run cluster` runs it, in test/apps/cluster.test.ts.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { freePorts, maxVoters, quorumVoters, replicatedTopicDefaults } from "../../apps/broker-cluster.ts";

describe("quorumVoters", () => {
  it("when there are more brokers than voters, then the first three are the voters, ids by position", () => {
    assert.equal(maxVoters, 3);
    assert.equal(
      quorumVoters("127.0.0.1", [9092, 9093, 9094, 9095, 9096]),
      "0@127.0.0.1:9092,1@127.0.0.1:9093,2@127.0.0.1:9094",
    );
  });

  it("when there are fewer brokers than three, then every broker is a voter", () => {
    assert.equal(quorumVoters("10.0.0.5", [7000]), "0@10.0.0.5:7000");
    assert.equal(quorumVoters("10.0.0.5", [7000, 7001]), "0@10.0.0.5:7000,1@10.0.0.5:7001");
  });
});

describe("freePorts", () => {
  it("when ports are asked for, then that many distinct ports come back, each free to listen on", async () => {
    const ports = await freePorts("127.0.0.1", 4);

    assert.equal(ports.length, 4);
    assert.equal(new Set(ports).size, 4);
    const servers = await Promise.all(
      ports.map(
        (port) =>
          new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
            const server = createServer();
            server.once("error", reject);
            server.listen(port, "127.0.0.1", () => resolve(server));
          }),
      ),
    );
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });
});

describe("replicatedTopicDefaults", () => {
  it("when the cluster has 3 brokers or more, then topics get 3 replicas and acks=all needs 2 in sync", () => {
    const expected = {
      "default.replication.factor": "3",
      "offsets.topic.replication.factor": "3",
      "transaction.state.log.replication.factor": "3",
      "min.insync.replicas": "2",
    };
    assert.deepEqual(replicatedTopicDefaults(3), expected);
    assert.deepEqual(replicatedTopicDefaults(5), expected);
  });

  it("when the cluster is smaller, then every broker holds a replica and one in sync is enough", () => {
    assert.deepEqual(replicatedTopicDefaults(2), {
      "default.replication.factor": "2",
      "offsets.topic.replication.factor": "2",
      "transaction.state.log.replication.factor": "2",
      "min.insync.replicas": "1",
    });
    assert.deepEqual(replicatedTopicDefaults(1), {
      "default.replication.factor": "1",
      "offsets.topic.replication.factor": "1",
      "transaction.state.log.replication.factor": "1",
      "min.insync.replicas": "1",
    });
  });
});
