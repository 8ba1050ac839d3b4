import { describe, it } from "node:test";
import { MemberAssignment, MemberMetadata } from "../../../../broker/client/consumer/assigner-protocol.ts";
import type { PartitionAssigner } from "../../../../broker/client/consumer/types.ts";
import {
  oneConsumerPerPartition,
  oneConsumerPerPartitionWith,
} from "../../../../seed/scenarios/catalog/one-consumer-per-partition.ts";
import { runScenarioExpectingFailure, runScenarioTest } from "../../../helpers/scenario.ts";

/** A broken assigner: every member gets every partition, as if there were no group. */
const everyoneGetsEverything: PartitionAssigner = ({ cluster }) => ({
  name: "EveryoneGetsEverything",
  version: 0,
  async assign({ members, topics }) {
    const assignment = Object.fromEntries(
      topics.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId)]),
    );
    return members.map(({ memberId }) => ({
      memberId,
      memberAssignment: MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return {
      name: "EveryoneGetsEverything",
      metadata: MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
    };
  },
});

describe("scenario one-consumer-per-partition", () => {
  it("when it runs on its fresh broker, then every check holds", async () => {
    await runScenarioTest(oneConsumerPerPartition);
  });

  it("when the group's assigner hands every partition to every member, then the scenario fails on who read each partition", async () => {
    await runScenarioExpectingFailure(
      oneConsumerPerPartitionWith(everyoneGetsEverything),
      "each partition was read by exactly one member",
    );
  });
});
