// Cooperative incremental rebalancing (KIP-429) with our consumer against the real broker: while a
// member joins, the members that keep their partitions go on consuming them; only the partitions
// that move are revoked (committed, then handed to nobody), and handed to the new member one
// generation later. Asserted from the consumers' events (deliveries, PARTITIONS_ASSIGNED /
// PARTITIONS_REVOKED, REBALANCING, GROUP_JOIN), never from timing: the third member here is a bare
// group membership the test drives, so the test decides when the rebalance may end.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  COOPERATIVE_STICKY,
  cooperativeSticky,
} from "../../../../broker/client/consumer/cooperative-sticky-assigner.ts";
import { GroupMembership } from "../../../../broker/client/consumer/group.ts";
import { PartitionAssigners } from "../../../../broker/client/consumer/index.ts";
import type { Consumer, ConsumerPartitionsChangedEvent } from "../../../../broker/client/consumer/types.ts";
import { consumerEvents } from "../../../../broker/client/events.ts";
import { InstrumentationEmitter } from "../../../../broker/client/instrumentation.ts";
import { createRetrier } from "../../../../broker/client/retry.ts";
import { ourCluster, silentLogger } from "../helpers.ts";
import { consumeHelpers } from "./consume-fixture.ts";
import { useConsumerSuite, waitFor } from "./helpers.ts";

type Entry =
  | { who: string; kind: "deliver"; partition: number; value: string }
  | { who: string; kind: "rebalancing" }
  | { who: string; kind: "join"; partitions: number[] }
  | {
      who: string;
      kind: "assigned" | "revoked";
      partitions: number[];
      generationId: number;
      reason: string;
      protocol: string;
    };

type Change = Extract<Entry, { kind: "assigned" | "revoked" }>;
const isChange = (e: Entry): e is Change => e.kind === "assigned" || e.kind === "revoked";

describe("cooperative rebalancing", () => {
  const suite = useConsumerSuite();
  const { consumer } = consumeHelpers(suite);

  /** One log for every member, in the order things happened. */
  function recorder() {
    const log: Entry[] = [];
    /** Each member's generation as its last heartbeat reported it. */
    const generation = new Map<string, number>();
    const owned = (who: string): number[] => {
      const set = new Set<number>();
      for (const e of log) {
        if (e.who !== who) continue;
        if (e.kind === "assigned") for (const p of e.partitions) set.add(p);
        if (e.kind === "revoked") for (const p of e.partitions) set.delete(p);
      }
      return [...set].sort((a, b) => a - b);
    };
    /** Whether the member's last rebalance has begun and not ended (its join is in progress). */
    const inJoin = (who: string): boolean => {
      const last = log.filter((e) => e.who === who && (e.kind === "rebalancing" || e.kind === "join")).at(-1);
      return last?.kind === "rebalancing";
    };
    const start = async (who: string, c: Consumer, topic: string): Promise<void> => {
      const change =
        (kind: "assigned" | "revoked") =>
        ({ payload }: ConsumerPartitionsChangedEvent): void => {
          log.push({
            who,
            kind,
            partitions: payload.partitions.flatMap((tp) => tp.partitions),
            generationId: payload.generationId,
            reason: payload.reason,
            protocol: payload.rebalanceProtocol,
          });
        };
      c.on(c.events.PARTITIONS_ASSIGNED, change("assigned"));
      c.on(c.events.PARTITIONS_REVOKED, change("revoked"));
      c.on(c.events.REBALANCING, () => log.push({ who, kind: "rebalancing" }));
      c.on(c.events.GROUP_JOIN, ({ payload }) => {
        log.push({ who, kind: "join", partitions: [...(payload.memberAssignment[topic] ?? [])] });
      });
      c.on(c.events.HEARTBEAT, ({ payload }) => generation.set(who, payload.groupGenerationId));
      await c.connect();
      await c.subscribe({ topics: [topic], fromBeginning: true });
      await c.run({
        eachMessage: async ({ partition, message }) => {
          log.push({ who, kind: "deliver", partition, value: message.value!.toString() });
        },
      });
    };
    const delivered = (value: string): string | undefined =>
      log.find((e) => e.kind === "deliver" && e.value === value)?.who;
    return { log, owned, inJoin, start, delivered, generation };
  }

  it("when a third member joins, then the members that keep their partitions never stop consuming them and only the moved ones are revoked", async () => {
    const topic = "cooperative-join";
    const groupId = "cooperative-join-group";
    await suite.rig().createTopic(topic, 6);
    const config = { partitionAssigners: [PartitionAssigners.cooperativeSticky], rebalanceTimeout: 30_000 };
    const rec = recorder();
    const send = (partitions: number[], tag: string) =>
      suite.rig().producer.send({
        topic,
        messages: partitions.map((partition) => ({ partition, value: `${tag}-${partition}` })),
      });
    const allDelivered = (partitions: number[], tag: string) =>
      waitFor(
        () => partitions.every((p) => rec.delivered(`${tag}-${p}`) !== undefined),
        () => `${tag} delivered on ${partitions}: ${JSON.stringify(rec.log.filter((e) => e.kind !== "deliver"))}`,
      );

    // Two members split the six partitions (the second one's arrival is itself a cooperative rebalance).
    await rec.start("a", consumer(groupId, config), topic);
    await waitFor(() => rec.owned("a").length === 6, "a owns all six");
    await rec.start("b", consumer(groupId, config), topic);
    await waitFor(
      () => rec.owned("a").length === 3 && rec.owned("b").length === 3 && !rec.inJoin("a") && !rec.inJoin("b"),
      () => `a and b own three each: ${JSON.stringify(rec.log.filter((e) => e.kind !== "deliver"))}`,
    );
    await send([0, 1, 2, 3, 4, 5], "before");
    await allDelivered([0, 1, 2, 3, 4, 5], "before");
    const ownedBefore = { a: rec.owned("a"), b: rec.owned("b") };
    const joinedBefore = rec.log.length;
    await waitFor(() => rec.generation.has("a") && rec.generation.get("a") === rec.generation.get("b"), "heartbeats");
    const generationBefore = rec.generation.get("a")!;

    // The third member: a bare membership with the same assignor, which rejoins only when told to.
    const cluster = ourCluster(suite.broker().address, { clientId: "cooperative-third" });
    suite.track({ disconnect: async () => cluster.disconnect() });
    await cluster.connect();
    await cluster.addTargetTopics([topic]);
    let thirdAskedToRejoin = false;
    const third = new GroupMembership({
      cluster,
      logger: silentLogger,
      emitter: new InstrumentationEmitter(consumerEvents, "consumer", silentLogger),
      retrier: createRetrier({ retries: 5, initialRetryTime: 100, maxRetryTime: 1000 }),
      groupId,
      assigners: [
        cooperativeSticky({
          cluster: {
            findTopicPartitionMetadata: (t) => cluster.topicMetadata(t).partitions,
            getNodeIds: () => cluster.brokers.map(({ nodeId }) => nodeId),
            refreshMetadata: () => cluster.refreshMetadata(),
          },
          groupId,
          logger: silentLogger,
        }),
      ],
      sessionTimeout: 6000,
      rebalanceTimeout: 30_000,
      heartbeatInterval: 300,
      onRejoinNeeded: () => {
        thirdAskedToRejoin = true;
      },
    });
    suite.track({ disconnect: () => third.leave() });

    // Generation N+1: a and b each give one partition up; nobody gets them yet.
    const first = await third.joinAndSync([topic], () => true, { ownedPartitions: [], generationId: -1 });
    assert.equal(first.groupProtocol, COOPERATIVE_STICKY);
    assert.deepEqual(first.assignment, {}, "moved partitions are handed to nobody in the generation that revokes them");
    // Having revoked, a and b rejoin at once; the next generation waits for the third member, which
    // the test holds back: a and b are now in the middle of a join, and stay there until it rejoins.
    await waitFor(
      () => thirdAskedToRejoin && rec.owned("a").length === 2 && rec.owned("b").length === 2,
      () =>
        `a and b revoked one each: ${JSON.stringify(rec.log.slice(joinedBefore).filter((e) => e.kind !== "deliver"))}`,
    );
    await waitFor(() => rec.inJoin("a") && rec.inJoin("b"), "a and b rejoining");

    // While a and b are in their join, the partitions they keep are still consumed.
    const kept = [...rec.owned("a"), ...rec.owned("b")];
    const windowStart = rec.log.length;
    await send(kept, "during");
    await allDelivered(kept, "during");
    assert.ok(rec.inJoin("a") && rec.inJoin("b"), "delivered while both joins were still in progress");
    for (const p of kept) {
      const owner = rec.owned("a").includes(p) ? "a" : "b";
      assert.equal(rec.delivered(`during-${p}`), owner, `partition ${p} delivered by its owner ${owner}`);
    }

    // The third member rejoins: generation N+2 hands it the two revoked partitions.
    const second = await third.joinAndSync([topic], () => true, {
      ownedPartitions: [],
      generationId: first.generationId,
    });
    assert.ok(second.generationId > first.generationId);
    await waitFor(
      () => !rec.inJoin("a") && !rec.inJoin("b"),
      () =>
        `a and b joined the new generation: ${JSON.stringify(rec.log.slice(windowStart).filter((e) => e.kind !== "deliver"))}`,
    );

    const changes = rec.log.slice(joinedBefore).filter(isChange);
    const revoked = changes.filter((e) => e.kind === "revoked");
    const movedToThird = [...(second.assignment[topic] ?? [])].sort((x, y) => x - y);
    assert.deepEqual(
      revoked.flatMap((e) => e.partitions).sort((x, y) => x - y),
      movedToThird,
      "exactly the partitions that moved were revoked",
    );
    for (const who of ["a", "b"] as const) {
      const theirRevoked = revoked.filter((e) => e.who === who).flatMap((e) => e.partitions);
      assert.equal(theirRevoked.length, 1, `${who} gave up one partition`);
      assert.ok(ownedBefore[who].includes(theirRevoked[0]!), `${who} revoked one of its own`);
      assert.deepEqual(
        rec.owned(who),
        ownedBefore[who].filter((p) => p !== theirRevoked[0]),
      );
      assert.ok(
        changes.every((e) => e.who !== who || e.kind !== "assigned"),
        `${who} was assigned nothing new: it never lost what it kept`,
      );
    }
    assert.ok(revoked.every((e) => e.reason === "rebalance" && e.protocol === "COOPERATIVE"));

    // Generations moved on for a and b (two of them), and their consumption went on through the join.
    assert.ok(generationBefore < first.generationId && first.generationId < second.generationId);
    await waitFor(
      () => rec.generation.get("a") === second.generationId && rec.generation.get("b") === second.generationId,
      "a and b heartbeat in the new generation",
    );
    for (const who of ["a", "b"]) {
      const joins = rec.log.slice(joinedBefore).filter((e) => e.who === who && e.kind === "join");
      assert.equal(joins.length, 2, `${who} joined two generations`);
      const window = rec.log.slice(windowStart);
      const nextJoin = window.findIndex((e) => e.who === who && e.kind === "join");
      assert.ok(
        window.slice(0, nextJoin).some((e) => e.who === who && e.kind === "deliver"),
        `${who} delivered between its join's start and its end`,
      );
    }

    // Nothing of a revoked partition was handed out by its old owner after it was revoked.
    for (const e of revoked) {
      const at = rec.log.indexOf(e);
      assert.ok(
        !rec.log.slice(at).some((d) => d.who === e.who && d.kind === "deliver" && e.partitions.includes(d.partition)),
        `${e.who} delivered nothing of ${e.partitions} after revoking it`,
      );
    }

    // Consumption goes on afterwards for the kept partitions.
    await send(kept, "after");
    await allDelivered(kept, "after");
  });

  it("when three consumers share the partitions and one leaves, then the others take its partitions over without revoking any of theirs", async () => {
    const topic = "cooperative-leave";
    const groupId = "cooperative-leave-group";
    await suite.rig().createTopic(topic, 6);
    const config = { partitionAssigners: [PartitionAssigners.cooperativeSticky], rebalanceTimeout: 30_000 };
    const rec = recorder();
    const members = { a: consumer(groupId, config), b: consumer(groupId, config), c: consumer(groupId, config) };
    for (const [who, c] of Object.entries(members)) await rec.start(who, c, topic);
    await waitFor(
      () => ["a", "b", "c"].every((who) => rec.owned(who).length === 2 && !rec.inJoin(who)),
      () => `two each: ${JSON.stringify(rec.log.filter((e) => e.kind !== "deliver"))}`,
    );
    const ownedBefore = { a: rec.owned("a"), b: rec.owned("b"), c: rec.owned("c") };
    const before = rec.log.length;

    await members.c.disconnect();
    await waitFor(
      () => rec.owned("a").length === 3 && rec.owned("b").length === 3 && !rec.inJoin("a") && !rec.inJoin("b"),
      () => `three each: ${JSON.stringify(rec.log.slice(before).filter((e) => e.kind !== "deliver"))}`,
    );
    const changes = rec.log.slice(before).filter(isChange);
    assert.deepEqual(
      changes.filter((e) => e.kind === "revoked").map((e) => [e.who, e.partitions, e.reason]),
      [["c", ownedBefore.c, "stop"]],
      "only the member that left gave anything up",
    );
    for (const who of ["a", "b"] as const) {
      const gained = changes.filter((e) => e.who === who && e.kind === "assigned");
      assert.equal(gained.length, 1);
      assert.equal(gained[0]!.reason, "rebalance");
      assert.deepEqual(
        rec.owned(who),
        [...ownedBefore[who], ...gained[0]!.partitions].sort((x, y) => x - y),
      );
    }
    assert.deepEqual(
      [...rec.owned("a"), ...rec.owned("b")].sort(),
      ownedBefore.c.concat(ownedBefore.a, ownedBefore.b).sort(),
    );

    // Everything produced now is consumed by the two that are left, by the partition's new owner.
    await suite.rig().producer.send({
      topic,
      messages: [0, 1, 2, 3, 4, 5].map((partition) => ({ partition, value: `after-${partition}` })),
    });
    await waitFor(
      () => [0, 1, 2, 3, 4, 5].every((p) => rec.delivered(`after-${p}`) !== undefined),
      "all six partitions consumed",
    );
    for (const p of [0, 1, 2, 3, 4, 5])
      assert.equal(rec.delivered(`after-${p}`), rec.owned("a").includes(p) ? "a" : "b");
  });

  it("when the default (eager) assigner is used, then a joining member makes every member revoke all it owns", async () => {
    const topic = "eager-join";
    const groupId = "eager-join-group";
    await suite.rig().createTopic(topic, 4);
    const rec = recorder();
    await rec.start("a", consumer(groupId), topic);
    await waitFor(() => rec.owned("a").length === 4, "a owns all four");
    const before = rec.log.length;
    await rec.start("b", consumer(groupId), topic);
    await waitFor(
      () => rec.owned("a").length === 2 && rec.owned("b").length === 2,
      () => `two each: ${JSON.stringify(rec.log.filter((e) => e.kind !== "deliver"))}`,
    );
    const revokedByA = rec.log
      .slice(before)
      .filter(isChange)
      .filter((e) => e.who === "a" && e.kind === "revoked");
    assert.deepEqual(
      revokedByA.map((e) => [e.partitions, e.reason, e.protocol]),
      [[[0, 1, 2, 3], "rebalance", "EAGER"]],
    );
    const assignedToA = rec.log
      .slice(before)
      .filter(isChange)
      .filter((e) => e.who === "a" && e.kind === "assigned");
    assert.deepEqual(
      assignedToA.map((e) => e.reason),
      ["rebalance"],
    );
    assert.deepEqual(rec.log.filter(isChange).filter((e) => e.who === "a" && e.kind === "assigned")[0]?.reason, "join");
  });
});
