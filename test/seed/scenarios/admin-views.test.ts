import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { Kafka, logLevel } from "../../../broker/client/index.ts";
import {
  activeController,
  askEveryBroker,
  type BrokerInfo,
  eventually,
  type HostedPartition,
  leaderReplica,
  replicasOf,
} from "../../../seed/scenarios/admin-views.ts";
import { useBroker } from "../../helpers/broker-process.ts";

/** An HTTP server that takes requests and never answers them: a paused broker's admin listener. */
async function silentListener(): Promise<{ url: string; server: Server }> {
  const server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const replica = (over: Partial<HostedPartition>): HostedPartition => ({
  topic: "t",
  partition: 0,
  role: "follower",
  leader: 0,
  leaderEpoch: 0,
  replicas: [0, 1, 2],
  isr: [0, 1, 2],
  logStartOffset: "0",
  logEndOffset: "0",
  highWatermark: "0",
  segments: 1,
  bytes: 0,
  configs: {},
  ...over,
});

describe("admin views", () => {
  const broker = useBroker({ adminPort: 0 });
  let silent: { url: string; server: Server };
  before(async () => {
    silent = await silentListener();
    const admin = new Kafka({ clientId: "admin-views", brokers: [broker.address], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "viewed", numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
  });
  after(() => {
    silent.server.closeAllConnections();
    silent.server.close();
  });

  it("when a broker hosts a partition, then replicasOf gives its replica by node id and leaderReplica finds the leader", async () => {
    const replicas = await replicasOf({ adminUrls: [broker.adminUrl!] }, "viewed", 1);
    assert.deepEqual([...replicas.keys()], [0]);
    assert.equal(replicas.get(0)!.partition, 1);
    assert.equal(replicas.get(0)!.role, "leader");
    assert.equal(leaderReplica(replicas)?.broker, 0);
  });

  it("when a listener does not answer or is not asked, then it is left out and the others still answer", async () => {
    const system = { adminUrls: [broker.adminUrl!, silent.url, ""] };
    const infos = await askEveryBroker<BrokerInfo>(system, "/v1/broker");
    assert.deepEqual([...infos.keys()], [0]);
    assert.equal(infos.get(0)!.nodeId, 0);
    assert.equal((await askEveryBroker<BrokerInfo>(system, "/v1/broker", [1, 2])).size, 0);
    assert.equal(await activeController(system), 0, "a lone broker is its own active controller");
  });

  it("when two replicas say they lead, then leaderReplica takes the one of the newer leader epoch", () => {
    const replicas = new Map([
      [0, replica({ role: "leader", leaderEpoch: 3 })],
      [1, replica({ role: "leader", leaderEpoch: 4, leader: 1 })],
      [2, replica({ role: "follower", leaderEpoch: 5, leader: 1 })],
    ]);
    assert.equal(leaderReplica(replicas)?.broker, 1);
    assert.equal(leaderReplica(new Map([[0, replica({})]])), undefined);
  });

  it("when a condition holds at last, then eventually says true; when it never does or keeps throwing, false", async () => {
    let polls = 0;
    assert.equal(await eventually(() => ++polls >= 3, 5_000), true);
    assert.equal(polls, 3);
    assert.equal(await eventually(() => false, 200), false);
    assert.equal(
      await eventually(() => {
        throw new Error("not answering");
      }, 200),
      false,
    );
  });
});
