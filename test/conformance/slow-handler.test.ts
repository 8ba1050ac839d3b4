// Conformance: a member whose eachMessage blocks longer than its rebalance timeout while another
// member joins. The group must not wait for it: the newcomer gets every partition, and when the
// slow member finally returns, its stale commit and heartbeat must not rewind the group's offsets.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { trackAssignment } from "../helpers/group-assignment.ts";
import { range } from "../helpers/wait.ts";
import {
  clientKinds,
  collectFromBeginning,
  committedOffsets,
  highWatermarks,
  quickGroupBrokerConfig,
  type Received,
  topicName,
  useBroker,
  useClientsOf,
  waitFor,
  withBrokerLog,
} from "./helpers.ts";

const PARTITIONS = 3;
const PER_PARTITION = 10;
// Short rebalance timeout, long session timeout: only the rebalance timeout can evict the slow member.
const slowGroupConfig = { rebalanceTimeout: 2000, sessionTimeout: 15_000, heartbeatInterval: 300 };

describe("conformance: a handler outlasting the rebalance timeout", () => {
  const broker = useBroker({ config: quickGroupBrokerConfig });

  for (const kind of clientKinds) {
    describe(kind, () => {
      let releaseSlowHandler = (): void => undefined;
      const clients = useClientsOf(kind, broker, `conformance-slow-${kind}`, {
        beforeClose: () => releaseSlowHandler(),
      });

      it(
        "when member A blocks in eachMessage while B joins, then B gets every partition and A's late commit does not rewind offsets",
        { timeout: 60_000 },
        () =>
          withBrokerLog(broker, async () => {
            const topic = await clients.createTopic("slow", PARTITIONS);
            const groupId = topicName(kind, "slow-group");
            for (const partition of range(PARTITIONS)) {
              await clients.producer.send({
                topic,
                messages: range(PER_PARTITION).map((i) => ({ value: `${partition}-${i}`, partition })),
              });
            }

            // A blocks on the first message it gets, before any commit of its own.
            const slow = clients.consumer(groupId, slowGroupConfig);
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
            const newcomer = clients.consumer(groupId, slowGroupConfig);
            const newcomerAssignment = trackAssignment(newcomer, topic);
            await collectFromBeginning(newcomer, topic, received);

            await waitFor(
              () => newcomerAssignment.partitions()?.length === PARTITIONS,
              () => `B owning every partition (B has ${JSON.stringify(newcomerAssignment.partitions() ?? null)})`,
            );
            const { groups } = await clients.admin.describeGroups([groupId]);
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
            const ends = await highWatermarks(clients.admin, topic);
            await waitFor(
              async () =>
                JSON.stringify(await committedOffsets(clients.admin, groupId, topic)) === JSON.stringify(ends),
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
              async () => (await clients.admin.describeGroups([groupId])).groups[0]!.state === "Stable",
              "the group settling",
            );
            assert.deepEqual(
              await committedOffsets(clients.admin, groupId, topic),
              ends,
              "A's late commit moved the group's offsets",
            );
          }),
      );
    });
  }
});
