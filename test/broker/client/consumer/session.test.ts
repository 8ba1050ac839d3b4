// Opening a session against a real broker: a standalone assignment, and a group member's
// generation with an assignment made by a test assigner (unsorted partitions, and a topic the
// member did not subscribe to), each starting from the group's committed offsets.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemberAssignment, MemberMetadata } from "../../../../broker/client/consumer/assigner-protocol.ts";
import { GroupMembership, GroupOffsets } from "../../../../broker/client/consumer/group.ts";
import { OffsetManager } from "../../../../broker/client/consumer/offset-manager.ts";
import { partitionKey } from "../../../../broker/client/consumer/partition-state.ts";
import { openSession, type Session } from "../../../../broker/client/consumer/session.ts";
import type { Assigner } from "../../../../broker/client/consumer/types.ts";
import { consumerEvents } from "../../../../broker/client/events.ts";
import { InstrumentationEmitter } from "../../../../broker/client/instrumentation.ts";
import { createRetrier } from "../../../../broker/client/retry.ts";
import { ourCluster, silentLogger } from "../helpers.ts";
import { useConsumerSuite } from "./helpers.ts";

const suite = useConsumerSuite();

/** Gives the one member `assignment` as it is, whatever it subscribed to. */
function fixedAssigner(assignment: Record<string, number[]>): Assigner {
  return {
    name: "FixedAssigner",
    version: 0,
    async assign({ members }) {
      return members.map(({ memberId }) => ({
        memberId,
        memberAssignment: MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      return {
        name: "FixedAssigner",
        metadata: MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
      };
    },
  };
}

function offsetManagerFor(store: GroupOffsets): OffsetManager {
  return new OffsetManager({
    store,
    logger: silentLogger,
    groupId: store.groupId,
    inGroup: true,
    autoCommit: false,
    autoCommitInterval: null,
    autoCommitThreshold: null,
    endSession: () => undefined,
  });
}

function positions(session: Session): Record<string, string | null> {
  return Object.fromEntries(
    [...session.partitions.values()].map((s) => [
      `${s.topic}-${s.partition}`,
      s.resolved === null ? null : String(s.resolved),
    ]),
  );
}

describe("openSession", () => {
  it("when a standalone assignment is opened, then it has those partitions, starting at the group's committed offsets", async () => {
    const topic = "session-standalone";
    const groupId = "session-standalone-group";
    await suite.rig().createTopic(topic, 3);
    await suite.rig().admin.setOffsets({ groupId, topic, partitions: [{ partition: 1, offset: "4" }] });
    const cluster = ourCluster(suite.broker().address, { clientId: "session-test" });
    suite.track({ disconnect: async () => cluster.disconnect() });
    await cluster.connect();
    const emitter = new InstrumentationEmitter(consumerEvents, "consumer", silentLogger);
    const store = new GroupOffsets(cluster, groupId, emitter);
    suite.track({ disconnect: async () => store.forgetCoordinator() });

    const session = await openSession(
      {
        cluster,
        logger: silentLogger,
        emitter,
        groupId,
        group: null,
        subscription: { topics: [], fromBeginning: new Map() },
        standalone: [{ topic, partitions: [2, 1] }],
        offsetManager: offsetManagerFor(store),
        retry: undefined,
      },
      () => true,
    );
    assert.deepEqual(session.identity, { generationId: -1, memberId: "" });
    assert.deepEqual(positions(session), { [`${topic}-2`]: null, [`${topic}-1`]: "4" });
  });

  it("when a member joins, then its session has the assigned partitions of subscribed topics in order, and the rest is reported", async () => {
    const topic = "session-member";
    const groupId = "session-member-group";
    await suite.rig().createTopic(topic, 3);
    await suite.rig().createTopic("session-other", 1);
    await suite.rig().admin.setOffsets({ groupId, topic, partitions: [{ partition: 2, offset: "7" }] });
    const cluster = ourCluster(suite.broker().address, { clientId: "session-test" });
    suite.track({ disconnect: async () => cluster.disconnect() });
    await cluster.connect();
    await cluster.addTargetTopics([topic]);
    const emitter = new InstrumentationEmitter(consumerEvents, "consumer", silentLogger);
    const unsubscribed: unknown[] = [];
    const joins: unknown[] = [];
    emitter.on(consumerEvents.RECEIVED_UNSUBSCRIBED_TOPICS, (event) => unsubscribed.push(event.payload));
    emitter.on(consumerEvents.GROUP_JOIN, (event) => joins.push(event.payload));
    const group = new GroupMembership({
      cluster,
      logger: silentLogger,
      emitter,
      retrier: createRetrier({ retries: 5, initialRetryTime: 100, maxRetryTime: 1000 }),
      groupId,
      assigners: [fixedAssigner({ [topic]: [2, 0], "session-other": [0] })],
      sessionTimeout: 6000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 300,
      onRejoinNeeded: () => undefined,
    });
    suite.track({ disconnect: () => group.leave() });

    const session = await openSession(
      {
        cluster,
        logger: silentLogger,
        emitter,
        groupId,
        group,
        subscription: { topics: [topic], fromBeginning: new Map([[topic, true]]) },
        standalone: null,
        offsetManager: offsetManagerFor(group),
        retry: undefined,
      },
      () => true,
    );
    assert.ok(session.identity.generationId > 0);
    assert.equal(session.identity.memberId, group.memberId);
    assert.deepEqual([...session.partitions.keys()], [partitionKey(topic, 0), partitionKey(topic, 2)]);
    assert.deepEqual(positions(session), { [`${topic}-0`]: null, [`${topic}-2`]: "7" });
    assert.deepEqual(session.partitionCounts, new Map([[topic, 3]]));
    assert.deepEqual(
      unsubscribed.map((p) => (p as { topicsNotSubscribed: string[] }).topicsNotSubscribed),
      [["session-other"]],
    );
    assert.deepEqual(
      joins.map((p) => (p as { memberAssignment: unknown }).memberAssignment),
      [{ [topic]: [0, 2] }],
    );
  });
});
