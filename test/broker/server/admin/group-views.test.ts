import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AssignerProtocol, type Producer } from "kafkajs";
import type { CoordinatedGroup } from "../../../../broker/server/admin/admin-types.ts";
import { consumerAssignment } from "../../../../broker/server/admin/group-views.ts";
import { useBroker, withBrokerLog } from "../../../helpers/broker-process.ts";
import { waitFor } from "../../../helpers/wait.ts";
import { ourConsumer, quickConsumerConfig } from "../../client/consumer/helpers.ts";
import { cleanupAll, kafkajsClient, quickGroupBrokerConfig } from "../../client/helpers.ts";
import { getJson } from "./admin-fixture.ts";

describe("consumerAssignment", () => {
  it("when given ConsumerProtocol assignment bytes, then it gives the partitions per topic, sorted", () => {
    const bytes = AssignerProtocol.MemberAssignment.encode({
      version: 1,
      assignment: { orders: [2, 0], refunds: [1] },
      userData: Buffer.from("x"),
    });
    assert.deepEqual(consumerAssignment(bytes), { orders: [0, 2], refunds: [1] });
  });

  it("when the bytes are empty or not an assignment, then it gives none", () => {
    assert.deepEqual(consumerAssignment(Buffer.alloc(0)), {});
    assert.deepEqual(consumerAssignment(Buffer.from([0, 1, 0x7f, 0xff, 0xff, 0xff])), {});
  });
});

describe("the admin listener's groups", () => {
  const cleanups: Array<() => unknown> = [];
  // Registered before the broker's own after hook, so members leave while the broker still runs.
  after(() => cleanupAll(...cleanups));
  const broker = useBroker({ adminPort: 0, config: { ...quickGroupBrokerConfig, "offsets.topic.num.partitions": 3 } });
  const topic = "group-views";
  let producer: Producer;

  before(async () => {
    const kafka = kafkajsClient(broker.address, "group-views-setup");
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    cleanups.push(() => kafkaAdmin.disconnect());
    await kafkaAdmin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    producer = kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    await producer.send({ topic, messages: [0, 1, 2].map((partition) => ({ partition, value: `to ${partition}` })) });
  });

  /** The last answer, for a failure's message. */
  let lastSeen: CoordinatedGroup | undefined;
  const groupView = async (groupId: string): Promise<CoordinatedGroup | undefined> => {
    const { body } = await getJson<CoordinatedGroup[]>(`${broker.adminUrl}/v1/groups`);
    lastSeen = body.find((g) => g.groupId === groupId);
    return lastSeen;
  };

  it("when a kafkajs consumer runs in a classic group, then the group shows it with its client id, host, decoded assignment and committed offsets", async () => {
    await withBrokerLog(broker, async () => {
      const groupId = "classic-view";
      const consumer = kafkajsClient(broker.address, "classic-member").consumer({
        groupId,
        sessionTimeout: 6000,
        heartbeatInterval: 300,
      });
      cleanups.push(() => consumer.disconnect());
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let consumed = 0;
      await consumer.run({
        eachMessage: async () => {
          consumed += 1;
        },
      });
      await waitFor(
        async () => {
          const group = await groupView(groupId);
          return group?.state === "Stable" && Object.keys(group.offsets[topic] ?? {}).length === 3;
        },
        {
          message: () => `a Stable group with 3 committed offsets (${JSON.stringify(lastSeen)})`,
        },
      );
      const group = (await groupView(groupId))!;
      assert.equal(consumed, 3);
      assert.deepEqual(
        { ...group, generation: group.generation > 0, members: group.members.length },
        {
          groupId,
          protocol: "classic",
          state: "Stable",
          generation: true,
          assignor: "RoundRobinAssigner",
          members: 1,
          offsets: { [topic]: { "0": "1", "1": "1", "2": "1" } },
        },
      );
      const [member] = group.members;
      assert.deepEqual(
        { ...member, memberId: member!.memberId.startsWith("classic-member") },
        {
          memberId: true,
          clientId: "classic-member",
          clientHost: "127.0.0.1",
          instanceId: null,
          assignment: { [topic]: [0, 1, 2] },
        },
      );
    });
  });

  it("when our consumer runs in a KIP-848 consumer group, then the group shows its epoch, the member's epoch and assignment", async () => {
    await withBrokerLog(broker, async () => {
      const groupId = "consumer-view";
      const consumer = ourConsumer(
        broker.address,
        quickConsumerConfig(groupId, { groupProtocol: "consumer" }),
        "kip848-member",
      );
      cleanups.push(() => consumer.disconnect());
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ eachMessage: async () => {} });
      await waitFor(
        async () => {
          const member = (await groupView(groupId))?.members[0];
          return JSON.stringify(member?.assignment) === JSON.stringify({ [topic]: [0, 1, 2] });
        },
        { message: () => `the member to own all 3 partitions (${JSON.stringify(lastSeen)})` },
      );
      const group = (await groupView(groupId))!;
      assert.equal(group.protocol, "consumer");
      assert.ok(group.generation >= 1, "the group epoch");
      assert.equal(group.members.length, 1);
      assert.equal(group.members[0]!.clientId, "kip848-member");
      assert.ok((group.members[0]!.memberEpoch ?? 0) >= 1, "the member epoch");
      assert.ok(group.assignor.length > 0);
    });
  });
});
