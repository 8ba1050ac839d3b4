// An in-process group of the scaling lab on a real broker: more members than partitions settle
// with every partition owned once and the surplus member idle, as the broker describes the group;
// each user's commands come in the order they were produced; and stopping ends every member.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Kafka, logLevel } from "../../../../broker/client/index.ts";
import { MemberGroup } from "../../../../seed/lab/scaling/member-group.ts";
import { checkUserOrder } from "../../../../seed/lab/scaling/order-check.ts";
import { fillTopic } from "../../../../seed/lab/scaling/topics.ts";
import { generateWorkload } from "../../../../seed/load/workload.ts";
import { useBroker, withBrokerLog } from "../../../helpers/broker-process.ts";
import { waitFor } from "../../../helpers/wait.ts";

describe("scaling lab member group", () => {
  const broker = useBroker({ config: { "group.initial.rebalance.delay.ms": 300 } });

  it("when 3 members join a group on 2 partitions, then it settles with each partition owned once, one member idle, and users consumed in order", () =>
    withBrokerLog(broker, async () => {
      const kafka = new Kafka({ clientId: "member-group-test", brokers: [broker.address], logLevel: logLevel.NOTHING });
      const topic = await fillTopic(kafka, 2, generateWorkload({ users: 20, commands: 400, seed: 3 }).commands);
      const group = new MemberGroup(kafka, {
        groupId: "g-3-on-2",
        topic: topic.topic,
        partitions: 2,
        members: 3,
        ioMs: 2,
      });
      const admin = kafka.admin();
      await admin.connect();
      try {
        await group.start();
        const ownership = await group.waitUntilStable(admin, { timeoutMs: 30_000, quietMs: 300 });
        assert.ok(ownership, "the group settled");
        const stableAt = Date.now();
        assert.deepEqual(
          ownership.map((o) => o.member),
          ["m1", "m2", "m3"],
        );
        assert.deepEqual(ownership.flatMap((o) => o.partitions).sort(), [0, 1]);
        assert.equal(ownership.filter((o) => o.partitions.length === 0).length, 1);
        assert.ok(ownership.every((o) => o.partitions.length <= 1));

        await waitFor(() => group.consumed().length >= 400, {
          message: () => `${group.consumed().length} of 400 consumed`,
        });
        // Once stable, the idle member handles nothing (it may have, while it was alone at the start).
        const idle = ownership.find((o) => o.partitions.length === 0)!.member;
        const consumed = group.consumed();
        assert.deepEqual(
          consumed.filter((c) => c.member === idle && c.at > stableAt + 50),
          [],
        );
        const order = checkUserOrder(consumed);
        assert.equal(order.outOfOrder, 0);
        assert.equal(order.users, 20);
        assert.deepEqual(group.crashed(), []);
      } finally {
        await group.stop();
        await admin.disconnect();
      }
      const { groups } = await (async () => {
        await admin.connect();
        try {
          return await admin.describeGroups(["g-3-on-2"]);
        } finally {
          await admin.disconnect();
        }
      })();
      assert.equal(groups[0]!.members.length, 0, "every member left when stopped");
    }));
});
