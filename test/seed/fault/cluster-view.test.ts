// What ClusterView reads from a real broker (a lone broker is a controller quorum of one): it leads
// the quorum, it is the one registered broker, and a topic's partitions come with leader, replicas
// and ISR; a broker that does not answer is left out rather than waited for.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { ClusterView } from "../../../seed/fault/cluster-view.ts";
import { kafkaClient } from "../../acceptance/helpers.ts";
import { useBroker } from "../../helpers/broker-process.ts";
import { disconnectQuietly } from "../../helpers/wait.ts";

describe("ClusterView", () => {
  const broker = useBroker();
  const views: ClusterView[] = [];
  after(() => {
    for (const view of views) view.close();
  });
  const viewOf = (addresses: string[]) => {
    const view = new ClusterView(addresses, 1000);
    views.push(view);
    return view;
  };

  it("when a lone broker is asked, then it is the active controller and the one registered broker", async () => {
    const view = viewOf([broker.address]);
    assert.deepEqual(view.brokerIds, [0]);
    assert.equal(await view.activeController(), 0);
    const quorum = await view.quorumAsSeenBy(0);
    assert.equal(quorum.leaderId, 0);
    assert.equal(quorum.isLeader, true);
    assert.deepEqual(await view.registeredBrokers(), [0]);
  });

  it("when a topic exists, then its partitions come with their leader, replicas and ISR", async () => {
    const admin = kafkaClient(broker.address, "cluster-view").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "viewed", numPartitions: 2 }], waitForLeaders: true });
    await disconnectQuietly(admin);
    assert.deepEqual(await viewOf([broker.address]).partitions("viewed"), [
      { partition: 0, leader: 0, replicas: [0], isr: [0] },
      { partition: 1, leader: 0, replicas: [0], isr: [0] },
    ]);
  });

  it("when one of the brokers does not answer, then the others' answers are used", async () => {
    // Broker 1's address takes connections nowhere: port 1 on loopback refuses them.
    const view = viewOf([broker.address, "127.0.0.1:1"]);
    assert.equal(await view.activeController(), 0);
    assert.deepEqual(await view.registeredBrokers(), [0]);
    await assert.rejects(view.quorumAsSeenBy(1));
    await assert.rejects(view.partitions("viewed", [1]), /no broker answered Metadata for viewed/);
  });
});
