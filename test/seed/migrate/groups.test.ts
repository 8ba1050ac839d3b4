// The consumer groups of the migrated topic, against a real broker process: finding them, their
// members and offsets, and the handover that only an empty group accepts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Admin } from "../../../broker/client/admin/types.ts";
import { Kafka, logLevel } from "../../../broker/client/index.ts";
import { groupPosition, groupsConsuming, handOver } from "../../../seed/migrate/groups.ts";
import { quickGroupBrokerConfig } from "../../broker/client/helpers.ts";
import { useBroker } from "../../helpers/broker-process.ts";
import { waitFor } from "../../helpers/wait.ts";

describe("migration groups", () => {
  const broker = useBroker({ config: quickGroupBrokerConfig });
  let kafka: Kafka;
  let admin: Admin;
  before(async () => {
    kafka = new Kafka({ clientId: "groups-test", brokers: [broker.address], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: "moving", numPartitions: 2 },
        { topic: "staying", numPartitions: 1 },
        { topic: "moved", numPartitions: 3 },
      ],
      waitForLeaders: true,
    });
    await admin.setOffsets({ groupId: "reader", topic: "moving", partitions: [{ partition: 1, offset: "0" }] });
    await admin.setOffsets({ groupId: "other", topic: "staying", partitions: [{ partition: 0, offset: "0" }] });
  });
  after(async () => {
    await admin?.disconnect();
  });

  it("when groups have committed on several topics, then only those with offsets on the migrated topic are found", async () => {
    assert.deepEqual(await groupsConsuming(admin, "moving"), ["reader"]);
  });

  it("when a group has a member, then it counts and the handover is refused; once it leaves, the group is empty and the handover commits", async () => {
    const consumer = kafka.consumer({ groupId: "live", sessionTimeout: 6000, heartbeatInterval: 500 });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: ["moving"], fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    try {
      await waitFor(() => joined, { message: "the consumer joined" });
      const running = await groupPosition(admin, "live", "moving", 2);
      assert.equal(running.members, 1);
      await assert.rejects(handOver(admin, "live", "moved", [1n, 2n, 3n]), /no running instances/);
    } finally {
      await consumer.disconnect();
    }

    await waitFor(async () => (await groupPosition(admin, "live", "moving", 2)).members === 0, {
      message: "the group empty after the member left",
    });
    await handOver(admin, "live", "moved", [1n, 2n, 3n]);
    const [offsets] = await admin.fetchOffsets({ groupId: "live", topics: ["moved"] });
    assert.deepEqual(
      offsets!.partitions.map((p) => [p.partition, p.offset]),
      [
        [0, "1"],
        [1, "2"],
        [2, "3"],
      ],
    );
  });

  it("when a group committed on some partitions only, then its position has -1 for the others", async () => {
    const position = await groupPosition(admin, "reader", "moving", 2);
    assert.deepEqual(position, { groupId: "reader", members: 0, committed: [-1n, 0n] });
  });
});
