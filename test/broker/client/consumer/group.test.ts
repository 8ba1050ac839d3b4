// Group membership of our consumer against the real broker: rebalancing as members join, leave
// and crash, a handler that outlasts the rebalance timeout, and a group shared with kafkajs.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Consumer } from "../../../../broker/client/consumer/index.ts";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { splitsExactly } from "../../../helpers/group-assignment.ts";
import { type ChildMember, spawnChildMember } from "../../../helpers/group-member-process.ts";
import { range } from "../../../helpers/wait.ts";
import { WireClient } from "../../../helpers/wire-client.ts";
import { kafkajsClient, ourConsumer, quickConsumerConfig, useConsumerSuite, waitFor } from "./helpers.ts";

interface Member {
  /** Partitions of the topic in the latest GROUP_JOIN; undefined before the first. */
  partitions(): number[] | undefined;
  memberIds: string[];
  /** "partition/offset" of every message handed over. */
  received: string[];
}

describe("consumer groups", () => {
  const suite = useConsumerSuite();

  const startMember = async (
    groupId: string,
    topic: string,
    extra: Parameters<typeof quickConsumerConfig>[1] = {},
  ): Promise<Member & { consumer: Consumer }> => {
    const consumer = ourConsumer(suite.broker().address, quickConsumerConfig(groupId, extra));
    suite.track(consumer);
    let latest: number[] | undefined;
    const member = { consumer, partitions: () => latest, memberIds: [] as string[], received: [] as string[] };
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      member.memberIds.push(event.payload.memberId);
      latest = [...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        member.received.push(`${partition}/${message.offset}`);
      },
    });
    return member;
  };

  /** One of our consumers in a process of its own, so that it can crash (SIGKILL). */
  const startChildMember = (groupId: string, topic: string): Member & { child: ChildMember } => {
    const child = spawnChildMember(
      "ours",
      suite.broker().address,
      groupId,
      topic,
      quickConsumerConfig(groupId).sessionTimeout!,
    );
    suite.track({ disconnect: () => child.kill() });
    return {
      child,
      partitions: child.partitions,
      memberIds: [],
      get received() {
        return child.received().map(({ partition, offset }) => `${partition}/${offset}`);
      },
    };
  };

  it("when members join, leave and crash, then the partitions are rebalanced among the live members", async () => {
    const topic = "rebalance";
    const groupId = "rebalance-group";
    await suite.rig().createTopic(topic, 6);
    const produce = async (round: number): Promise<void> => {
      await suite
        .rig()
        .producer.send({ topic, messages: range(30).map((i) => ({ value: `r${round}-${i}`, partition: i % 6 })) });
    };
    await produce(0);

    const first = await startMember(groupId, topic);
    await waitFor(() => splitsExactly([first.partitions()], 6), "the first member has every partition");

    const second = await startMember(groupId, topic);
    await waitFor(
      () => splitsExactly([first.partitions(), second.partitions()], 6) && second.partitions()!.length === 3,
      () => `join of a second member: ${first.partitions()} / ${second.partitions()}`,
    );

    const third = await startMember(groupId, topic);
    const members = [first, second, third];
    await waitFor(
      () =>
        splitsExactly(
          members.map((m) => m.partitions()),
          6,
        ) && members.every((m) => m.partitions()!.length === 2),
      () => `join of a third member: ${members.map((m) => m.partitions()).join(" / ")}`,
    );
    await produce(1);

    await third.consumer.disconnect();
    await waitFor(
      () => splitsExactly([first.partitions(), second.partitions()], 6),
      () => `leave of the third member: ${first.partitions()} / ${second.partitions()}`,
    );
    await produce(2);

    const crashing = startChildMember(groupId, topic);
    await waitFor(
      () =>
        crashing.partitions()?.length === 2 &&
        splitsExactly([first.partitions(), second.partitions(), crashing.partitions()], 6),
      () => `join of the child member: ${first.partitions()} / ${second.partitions()} / ${crashing.partitions()}`,
    );
    await crashing.child.kill();
    const lost = crashing.partitions()!;
    await waitFor(
      () => splitsExactly([first.partitions(), second.partitions()], 6),
      () => `the crashed member's partitions ${lost} taken over: ${first.partitions()} / ${second.partitions()}`,
      20_000,
    );
    await produce(3);

    // Every message was consumed by some member (at least once, as rebalances allow).
    const all = new Set([...first.received, ...second.received, ...third.received, ...crashing.received]);
    await waitFor(
      () => {
        for (const m of [...first.received, ...second.received]) all.add(m);
        return range(6).every((p) => range(20).every((o) => all.has(`${p}/${o}`)));
      },
      () => `all 120 messages consumed, have ${all.size}`,
    );
  });

  it("when a handler runs past the rebalance timeout, then its member loses its partitions, drops the stale batch and rejoins as a new member", async () => {
    const topic = "slow-handler";
    const groupId = "slow-handler-group";
    await suite.rig().createTopic(topic, 2);
    await suite
      .rig()
      .producer.send({ topic, messages: ["slow", "after-1", "after-2"].map((value) => ({ value, partition: 0 })) });
    await suite.rig().producer.send({ topic, messages: ["p1-a", "p1-b"].map((value) => ({ value, partition: 1 })) });

    const settings = { sessionTimeout: 3000, rebalanceTimeout: 1500, heartbeatInterval: 200 };
    const log: string[] = [];
    const slow = ourConsumer(suite.broker().address, quickConsumerConfig(groupId, settings));
    suite.track(slow);
    const slowMemberIds: string[] = [];
    let slowPartitions: number[] | undefined;
    slow.on(slow.events.GROUP_JOIN, (event) => {
      slowMemberIds.push(event.payload.memberId);
      slowPartitions = event.payload.memberAssignment[topic] ?? [];
      log.push(`join ${JSON.stringify(event.payload.memberAssignment[topic] ?? [])}`);
    });
    let slowOnce = true;
    let takenOver = false;
    await slow.connect();
    await slow.subscribe({ topics: [topic], fromBeginning: true });
    await slow.run({
      eachMessage: async ({ message }) => {
        const value = message.value!.toString();
        if (value === "slow" && slowOnce) {
          slowOnce = false;
          log.push("slow-start");
          // Held past the rebalance timeout, until the other member has taken its partitions over.
          await waitFor(() => takenOver, "the other member taking both partitions over", 60_000);
          log.push("slow-end");
          return;
        }
        log.push(`message ${value}`);
      },
    });
    await waitFor(() => log.includes("slow-start"), "the slow handler to start");

    const other = await startMember(groupId, topic, settings);
    await waitFor(
      () => other.partitions()?.length === 2,
      () => `the other member takes both partitions while the slow one is out: ${other.partitions()}`,
    );
    assert.ok(!log.includes("slow-end"), "taken over before the slow handler returned");
    takenOver = true;
    await waitFor(
      () => slowMemberIds.length >= 2 && splitsExactly([other.partitions(), slowPartitions], 2),
      () => `the slow member rejoins: ${log.join(", ")}`,
    );

    assert.notEqual(slowMemberIds[1], slowMemberIds[0], "rejoined as a new member");
    const slowEnd = log.indexOf("slow-end");
    const nextJoin = log.findIndex((entry, i) => i > slowEnd && entry.startsWith("join"));
    assert.ok(nextJoin > slowEnd, `a join after the slow handler: ${log.join(", ")}`);
    assert.deepEqual(
      log.slice(slowEnd + 1, nextJoin),
      [],
      "nothing handed over between the stale batch and the rejoin",
    );
    // The message the slow member never committed was consumed again by whoever held partition 0.
    await waitFor(
      () => other.received.includes("0/0") || log.filter((l) => l === "message slow").length > 0,
      "the slow message consumed again",
    );
  });

  it("when a handler runs longer than the session timeout, then heartbeats keep the member in the group", async () => {
    const topic = "long-handler";
    await suite.rig().createTopic(topic, 1);
    await suite.rig().producer.send({ topic, messages: [{ value: "long" }, { value: "next" }] });
    const sessionTimeout = 3000;
    const heartbeatInterval = 200;
    const c = ourConsumer(
      suite.broker().address,
      quickConsumerConfig("long-handler-group", { sessionTimeout, heartbeatInterval }),
    );
    suite.track(c);
    const log: string[] = [];
    let heartbeats = 0;
    c.on(c.events.GROUP_JOIN, () => log.push("join"));
    c.on(c.events.REBALANCING, () => log.push("rebalancing"));
    c.on(c.events.HEARTBEAT, () => heartbeats++);
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    await c.run({
      eachMessage: async ({ message }) => {
        if (message.value!.toString() === "long") {
          // Held for heartbeats, not for a time: heartbeats come at most every heartbeatInterval,
          // so this many span more than a session timeout, however slow the machine.
          const until = heartbeats + Math.ceil(sessionTimeout / heartbeatInterval) + 5;
          await waitFor(
            () => heartbeats >= until,
            () => `${until} heartbeats (${heartbeats})`,
            60_000,
          );
        }
        log.push(message.value!.toString());
      },
    });
    await waitFor(
      () => log.includes("next"),
      () => `both messages: ${log}`,
    );
    assert.deepEqual(log, ["join", "long", "next"]);
  });

  it("when kafkajs and our consumer share a group, then they split the partitions whichever leads", async () => {
    const topic = "mixed";
    await suite.rig().createTopic(topic, 4);
    await suite.rig().producer.send({ topic, messages: range(80).map((i) => ({ value: `m-${i}`, partition: i % 4 })) });

    for (const leader of ["kafkajs", "ours"] as const) {
      const groupId = `mixed-group-led-by-${leader}`;
      const kafkajs = kafkajsClient(suite.broker().address, "mixed-kafkajs").consumer(quickConsumerConfig(groupId));
      suite.track(kafkajs);
      let kafkajsPartitions: number[] | undefined;
      const kafkajsReceived: string[] = [];
      kafkajs.on(kafkajs.events.GROUP_JOIN, (event) => {
        kafkajsPartitions = [...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
      });
      const startKafkajs = async (): Promise<void> => {
        await kafkajs.connect();
        await kafkajs.subscribe({ topics: [topic], fromBeginning: true });
        await kafkajs.run({
          eachMessage: async ({ partition, message }) => {
            kafkajsReceived.push(`${partition}/${message.offset}`);
          },
        });
      };

      let ours: Member | undefined;
      if (leader === "kafkajs") {
        await startKafkajs();
        await waitFor(() => kafkajsPartitions?.length === 4, "kafkajs alone has every partition");
        ours = await startMember(groupId, topic);
      } else {
        ours = await startMember(groupId, topic);
        await waitFor(() => ours!.partitions()?.length === 4, "ours alone has every partition");
        await startKafkajs();
      }
      await waitFor(
        () =>
          kafkajsPartitions?.length === 2 &&
          ours!.partitions()?.length === 2 &&
          splitsExactly([kafkajsPartitions, ours!.partitions()], 4),
        () => `split led by ${leader}: kafkajs ${kafkajsPartitions} / ours ${ours!.partitions()}`,
      );
      const all = (): Set<string> => new Set([...kafkajsReceived, ...ours!.received]);
      await waitFor(
        () => all().size === 80,
        () => `80 messages between them, have ${all().size}`,
      );
      await kafkajs.disconnect();
    }
  });

  it("when a consumer has a groupInstanceId, then DescribeGroups shows it and disconnecting leaves its place in the group", async () => {
    const topic = "static-place";
    const groupId = "static-place-group";
    await suite.rig().createTopic(topic, 2);
    const member = await startMember(groupId, topic, { groupInstanceId: "till-9", sessionTimeout: 30_000 });
    await waitFor(() => member.partitions()?.length === 2, "the static member owns both partitions");
    // kafkajs's DescribeGroups shows no instance ids: ask at the wire (v4).
    const wire = await WireClient.connect(suite.broker().address);
    try {
      const described = await wire.request(Apis.DescribeGroups, 4, {
        groups: [groupId],
        includeAuthorizedOperations: false,
      });
      assert.deepEqual(
        described.groups[0]!.members.map((m) => [m.memberId, m.groupInstanceId]),
        [[member.memberIds.at(-1), "till-9"]],
      );
    } finally {
      wire.close();
    }

    await member.consumer.disconnect();
    const after = await suite.rig().admin.describeGroups([groupId]);
    assert.equal(after.groups[0]!.state, "Stable", "no LeaveGroup was sent");
    assert.deepEqual(
      after.groups[0]!.members.map((m) => m.memberId),
      [member.memberIds.at(-1)],
    );
  });

  it("when groupInstanceId is not a valid instance id, then the consumer is not created", () => {
    for (const groupInstanceId of ["", "till 9", "x".repeat(250)]) {
      assert.throws(
        () => ourConsumer(suite.broker().address, quickConsumerConfig("g", { groupInstanceId })),
        /groupInstanceId .* is invalid/,
      );
    }
  });
});
