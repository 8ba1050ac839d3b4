// Conformance: a group of 3 members rebalancing when members join, when one leaves cleanly and
// when one crashes (a child process SIGKILLed, so only its session timeout reveals it).

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Consumer } from "kafkajs";
import { type AssignmentTracker, splitsExactly, trackAssignment } from "../helpers/group-assignment.ts";
import { type ChildMember, spawnChildMember } from "../helpers/group-member-process.ts";
import { range } from "../helpers/wait.ts";
import {
  clientKinds,
  collectFromBeginning,
  quickGroupBrokerConfig,
  type Received,
  topicName,
  useBroker,
  useClientsOf,
  waitFor,
  withBrokerLog,
} from "./helpers.ts";

const PARTITIONS = 6;
const CHILD_SESSION_TIMEOUT = 3000;

interface Member {
  name: string;
  partitions(): number[] | undefined;
  values(): string[];
}

describe("conformance: group membership", () => {
  const broker = useBroker({ config: quickGroupBrokerConfig });

  for (const kind of clientKinds) {
    describe(kind, () => {
      const groupId = topicName(kind, "group-id");
      let topic: string;
      let first: Member;
      let second: Member & { consumer: Consumer };
      let child: ChildMember | undefined;
      let childMember: Member;
      const clients = useClientsOf(kind, broker, `conformance-groups-${kind}`, { beforeClose: () => child?.kill() });

      before(async () => {
        topic = await clients.createTopic("group", PARTITIONS);
      });

      const startMember = async (
        name: string,
      ): Promise<Member & { consumer: Consumer; assignment: AssignmentTracker }> => {
        const consumer = clients.consumer(groupId);
        const assignment = trackAssignment(consumer, topic);
        const received: Received[] = [];
        await collectFromBeginning(consumer, topic, received);
        return {
          name,
          consumer,
          assignment,
          partitions: assignment.partitions,
          values: () => received.map((m) => m.value!),
        };
      };

      const assignments = (members: Member[]): string =>
        members.map((m) => `${m.name}=${JSON.stringify(m.partitions() ?? null)}`).join(" ");

      const waitForSplit = async (members: Member[], what: string): Promise<void> => {
        await waitFor(
          () =>
            splitsExactly(
              members.map((m) => m.partitions()),
              PARTITIONS,
            ) && members.every((m) => m.partitions()!.length > 0),
          () => `${what}: ${assignments(members)}`,
        );
      };

      const groupMemberCount = async (): Promise<number> => {
        const { groups } = await clients.admin.describeGroups([groupId]);
        return groups[0]!.state === "Stable" ? groups[0]!.members.length : -1;
      };

      /** One message per partition; each must reach the member that owns that partition. */
      const assertOwnersReceive = async (members: Member[], tag: string): Promise<void> => {
        for (const partition of range(PARTITIONS))
          await clients.producer.send({ topic, messages: [{ value: `${tag}-${partition}`, partition }] });
        for (const partition of range(PARTITIONS)) {
          const owner = members.find((m) => m.partitions()!.includes(partition))!;
          await waitFor(
            () => owner.values().includes(`${tag}-${partition}`),
            () => `${tag}-${partition} at its owner ${owner.name} (${assignments(members)})`,
          );
        }
      };

      it(
        "when three members join one by one, then the assignment grows from 1 to 3 members, disjoint and complete",
        { timeout: 45_000 },
        () =>
          withBrokerLog(broker, async () => {
            first = await startMember("first");
            await waitForSplit([first], "the first member owning every partition");
            assert.deepEqual(first.partitions(), range(PARTITIONS));

            second = await startMember("second");
            await waitForSplit([first, second], "two members splitting");

            child = spawnChildMember(kind, broker.address, groupId, topic, CHILD_SESSION_TIMEOUT);
            childMember = {
              name: "child",
              partitions: child.partitions,
              values: () => child!.received().map((m) => m.value),
            };
            await waitForSplit([first, second, childMember], "three members splitting");
            for (const member of [first, second, childMember])
              assert.equal(member.partitions()!.length, 2, assignments([first, second, childMember]));
            await waitFor(async () => (await groupMemberCount()) === 3, "describeGroups showing 3 members, Stable");

            await assertOwnersReceive([first, second, childMember], "joined");
          }),
      );

      it("when a member disconnects, then the others take over its partitions", { timeout: 30_000 }, () =>
        withBrokerLog(broker, async () => {
          assert.ok(second, "needs the members of the join scenario");
          const before = { first: first.partitions()!, child: childMember.partitions()! };
          await second.consumer.disconnect();
          await waitFor(
            () => first.partitions()!.length + childMember.partitions()!.length === PARTITIONS,
            () => `the survivors taking over: ${assignments([first, childMember])}`,
          );
          await waitForSplit([first, childMember], "two members splitting after the leave");
          assert.ok(
            first.partitions()!.length > before.first.length || childMember.partitions()!.length > before.child.length,
            "the leaver's partitions went to the others",
          );
          await waitFor(async () => (await groupMemberCount()) === 2, "describeGroups showing 2 members, Stable");
          await assertOwnersReceive([first, childMember], "after-leave");
        }),
      );

      it(
        "when a member crashes, then the survivor takes over its partitions after the session timeout",
        { timeout: 30_000 },
        () =>
          withBrokerLog(broker, async () => {
            assert.ok(child, "needs the child member of the join scenario");
            await child.kill();
            await waitFor(
              () => first.partitions()!.length === PARTITIONS,
              () =>
                `the survivor owning every partition: ${assignments([first])}\n--- child output ---\n${child!.output()}`,
              CHILD_SESSION_TIMEOUT + 15_000,
            );
            await waitFor(async () => (await groupMemberCount()) === 1, "describeGroups showing 1 member, Stable");
            await assertOwnersReceive([first], "after-crash");
          }),
      );
    });
  }
});
