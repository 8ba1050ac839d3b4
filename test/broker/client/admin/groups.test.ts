import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Consumer as KafkajsConsumer } from "kafkajs";
import { KafkaJSDeleteGroupsError, KafkaJSNonRetriableError } from "../../../../broker/client/errors.ts";
import { type AdminFixture, errorShape, rejectionOf, startAdmins } from "./fixture.ts";

const TOPIC = "groups-topic";
const RUNNING = "running-group";

describe("admin: consumer groups", () => {
  let fx: AdminFixture;
  let consumer: KafkajsConsumer | undefined;

  before(async () => {
    fx = await startAdmins();
    await fx.ours.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] });
    // A group with a live member, run by the real kafkajs consumer.
    consumer = fx.kafka.consumer({ groupId: RUNNING, sessionTimeout: 6000, heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC] });
    const joined = new Promise<void>((resolve) => consumer!.on(consumer!.events.GROUP_JOIN, () => resolve()));
    await consumer.run({ eachMessage: async () => {} });
    await joined;
    await fx.ours.setOffsets({ groupId: "idle-group", topic: TOPIC, partitions: [{ partition: 0, offset: "0" }] });
  });
  after(async () => {
    await consumer?.disconnect().catch(() => {});
    await fx?.cleanup();
  });

  it("when listing groups, then every group of every broker with its protocol type, as kafkajs", async () => {
    const [ours, theirs] = await Promise.all([fx.ours.listGroups(), fx.kafkajs.listGroups()]);
    assert.deepEqual(ours, theirs);
    const byId = new Map(ours.groups.map((g) => [g.groupId, g]));
    assert.deepEqual(byId.get(RUNNING), { groupId: RUNNING, protocolType: "consumer" });
    assert.ok(byId.has("idle-group"));
  });

  it("when describing a running, an idle and an unknown group, then the same as kafkajs", async () => {
    const groupIds = [RUNNING, "idle-group", "never-seen-group"];
    const [ours, theirs] = await Promise.all([fx.ours.describeGroups(groupIds), fx.kafkajs.describeGroups(groupIds)]);
    assert.deepEqual(ours, theirs);
    const [running, idle, unknown] = ours.groups;
    assert.deepEqual(
      [running!.state, running!.protocolType, running!.protocol, running!.members.length, running!.errorCode],
      ["Stable", "consumer", "RoundRobinAssigner", 1, 0],
    );
    const member = running!.members[0]!;
    assert.equal(member.clientId, "kafkajs-admin-test");
    assert.ok(Buffer.isBuffer(member.memberMetadata) && member.memberMetadata.length > 0);
    assert.ok(Buffer.isBuffer(member.memberAssignment) && member.memberAssignment.length > 0);
    assert.deepEqual([idle!.state, idle!.members], ["Empty", []]);
    assert.deepEqual([unknown!.state, unknown!.errorCode], ["Dead", 0]);
  });

  it("when setting offsets of a group with running members, then the same KafkaJSNonRetriableError as kafkajs", async () => {
    const request = { groupId: RUNNING, topic: TOPIC, partitions: [{ partition: 0, offset: "0" }] };
    const ours = await rejectionOf(fx.ours.setOffsets(request));
    const theirs = await rejectionOf(fx.kafkajs.setOffsets(request));
    assert.ok(ours instanceof KafkaJSNonRetriableError);
    assert.deepEqual([ours.name, ours.message], [theirs.name, theirs.message]);
    assert.equal(ours.message, "The consumer group must have no running instances, current state: Stable");
  });

  it("when deleting a non-empty or unknown group, then KafkaJSDeleteGroupsError naming each failed group, as kafkajs", async () => {
    const ours = await rejectionOf(fx.ours.deleteGroups([RUNNING, "never-seen-group"]));
    const theirs = await rejectionOf(fx.kafkajs.deleteGroups([RUNNING, "never-seen-group"]));
    assert.ok(ours instanceof KafkaJSDeleteGroupsError);
    assert.deepEqual(errorShape(ours), errorShape(theirs));
    assert.deepEqual(
      ours.groups.map((g) => [g.groupId, g.errorCode, g.error.type]),
      [
        [RUNNING, 68, "NON_EMPTY_GROUP"],
        ["never-seen-group", 69, "GROUP_ID_NOT_FOUND"],
      ],
    );
    assert.ok((await fx.ours.listGroups()).groups.some((g) => g.groupId === RUNNING));
  });

  it("when deleting empty groups, then one result per group with error code 0, as kafkajs", async () => {
    for (const groupId of ["deletable-ours", "deletable-kafkajs"]) {
      await fx.ours.setOffsets({ groupId, topic: TOPIC, partitions: [{ partition: 1, offset: "0" }] });
    }
    const ours = await fx.ours.deleteGroups(["deletable-ours"]);
    const theirs = await fx.kafkajs.deleteGroups(["deletable-kafkajs"]);
    assert.deepEqual(ours, [{ groupId: "deletable-ours", errorCode: 0 }]);
    assert.deepEqual(theirs, [{ groupId: "deletable-kafkajs", errorCode: 0 }]);
    const remaining = (await fx.ours.listGroups()).groups.map((g) => g.groupId);
    assert.ok(!remaining.includes("deletable-ours") && !remaining.includes("deletable-kafkajs"));
    assert.deepEqual(await fx.ours.fetchOffsets({ groupId: "deletable-ours" }), []);
  });
});
