// Conformance: a member whose eachMessage blocks longer than its rebalance timeout while another
// member joins. The group must not wait for it: the newcomer gets every partition, and when the
// slow member finally returns, its stale commit and heartbeat must not rewind the group's offsets.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Admin, Kafka, Producer } from "kafkajs";
import { trackAssignment } from "../helpers/group-assignment.ts";
import { range } from "../helpers/wait.ts";
import {
  ClientPool,
  clientKinds,
  committedOffsets,
  connectClients,
  highWatermarks,
  quickConsumerConfig,
  quickGroupBrokerConfig,
  type Received,
  runCollecting,
  topicName,
  useSuiteBroker,
  waitFor,
  withBrokerLog,
} from "./helpers.ts";

const PARTITIONS = 3;
const PER_PARTITION = 10;
// Short rebalance timeout, long session timeout: only the rebalance timeout can evict the slow member.
const slowGroupConfig = { rebalanceTimeout: 2000, sessionTimeout: 15_000, heartbeatInterval: 300 };

describe("conformance: a handler outlasting the rebalance timeout", () => {
  const broker = useSuiteBroker(quickGroupBrokerConfig);

  for (const kind of clientKinds) {
    describe(kind, () => {
      const pool = new ClientPool();
      let kafka: Kafka;
      let admin: Admin;
      let producer: Producer;
      let releaseSlowHandler = (): void => undefined;

      before(async () => {
        ({ kafka, admin, producer } = await connectClients(kind, broker().address, `conformance-slow-${kind}`, pool));
      });

      after(async () => {
        releaseSlowHandler();
        await pool.closeAll();
      });

      it(
        "when member A blocks in eachMessage while B joins, then B gets every partition and A's late commit does not rewind offsets",
        { timeout: 60_000 },
        () =>
          withBrokerLog(broker(), async () => {
            const topic = topicName(kind, "slow");
            const groupId = topicName(kind, "slow-group");
            assert.equal(
              await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true }),
              true,
            );
            for (const partition of range(PARTITIONS)) {
              await producer.send({
                topic,
                messages: range(PER_PARTITION).map((i) => ({ value: `${partition}-${i}`, partition })),
              });
            }

            // A blocks on the first message it gets, before any commit of its own.
            const slow = pool.track(kafka.consumer(quickConsumerConfig(groupId, slowGroupConfig)));
            const slowAssignment = trackAssignment(slow, topic);
            let slowCrashed = false;
            slow.on(slow.events.CRASH, () => {
              slowCrashed = true;
            });
            let blockedOn: { partition: number; offset: string } | undefined;
            let handlerReturned = false;
            const released = new Promise<void>((resolve) => {
              releaseSlowHandler = resolve;
            });
            await slow.connect();
            await slow.subscribe({ topics: [topic], fromBeginning: true });
            await slow.run({
              eachMessage: async ({ partition, message }) => {
                if (blockedOn !== undefined) return;
                blockedOn = { partition, offset: message.offset };
                await released;
                handlerReturned = true;
              },
            });
            await waitFor(() => blockedOn !== undefined, "A's handler to start (and block)");
            assert.deepEqual(slowAssignment.partitions(), range(PARTITIONS));

            const received: Received[] = [];
            const newcomer = pool.track(kafka.consumer(quickConsumerConfig(groupId, slowGroupConfig)));
            const newcomerAssignment = trackAssignment(newcomer, topic);
            await newcomer.connect();
            await newcomer.subscribe({ topics: [topic], fromBeginning: true });
            await runCollecting(newcomer, received);

            await waitFor(
              () => newcomerAssignment.partitions()?.length === PARTITIONS,
              () => `B owning every partition (B has ${JSON.stringify(newcomerAssignment.partitions() ?? null)})`,
            );
            const { groups } = await admin.describeGroups([groupId]);
            assert.deepEqual(
              groups[0]!.members.map((m) => m.memberId),
              [newcomerAssignment.memberId()],
              "A should have been removed from the group",
            );
            assert.equal(handlerReturned, false, "A's handler is still blocked");

            await waitFor(
              () => received.length >= PARTITIONS * PER_PARTITION,
              () => `B consuming everything (got ${received.length})`,
            );
            const ends = await highWatermarks(admin, topic);
            await waitFor(
              async () => JSON.stringify(await committedOffsets(admin, groupId, topic)) === JSON.stringify(ends),
              "B's commits reaching the end of every partition",
            );

            const joinsBeforeRelease = slowAssignment.joins();
            releaseSlowHandler();
            await waitFor(() => handlerReturned, "A's handler returning");
            // A notices it was evicted (its heartbeat or commit is refused) and rejoins, or gives up.
            await waitFor(
              () => slowAssignment.joins() > joinsBeforeRelease || slowCrashed,
              "A rejoining (or crashing) after its handler returned",
            );
            await waitFor(
              async () => (await admin.describeGroups([groupId])).groups[0]!.state === "Stable",
              "the group settling",
            );
            assert.deepEqual(
              await committedOffsets(admin, groupId, topic),
              ends,
              "A's late commit moved the group's offsets",
            );
          }),
      );
    });
  }
});
