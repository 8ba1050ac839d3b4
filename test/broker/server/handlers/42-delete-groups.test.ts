import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { createTopicsRequest } from "../../../helpers/requests.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";
import { offsetCommitRequest, stableMember } from "./group-requests.ts";

describe("DeleteGroups", () => {
  const broker = useRoutedBroker();
  before(async () => {
    await broker.request(Apis.CreateTopics, 4, createTopicsRequest([{ name: "sales", numPartitions: 1 }]));
  });

  const commitStandalone = (groupId: string, offset: bigint) =>
    broker.request(Apis.OffsetCommit, 7, offsetCommitRequest(groupId, { sales: [[0, offset]] }));
  const committed = async (groupId: string) =>
    (await broker.request(Apis.OffsetFetch, 5, { groupId, topics: [{ name: "sales", partitionIndexes: [0] }] }))
      ?.topics[0]?.partitions[0]?.committedOffset;

  it("when a group is empty, then it is deleted with its committed offsets and no longer listed", async () => {
    await commitStandalone("deletable", 42n);
    assert.equal(await committed("deletable"), 42n);

    const response = await broker.request(Apis.DeleteGroups, 1, { groupsNames: ["deletable"] });
    assert.deepEqual(response?.results, [{ groupId: "deletable", errorCode: ErrorCode.NONE }]);
    assert.equal(await committed("deletable"), -1n);
    const listed = await broker.request(Apis.ListGroups, 2, {});
    assert.equal(
      listed?.groups.some((g) => g.groupId === "deletable"),
      false,
    );
  });

  it("when groups have members or do not exist, then each gets its own error and the others are still deleted", async () => {
    await stableMember(broker, "busy");
    await commitStandalone("idle", 7n);
    const response = await broker.request(Apis.DeleteGroups, 0, { groupsNames: ["busy", "never-was", "idle"] });
    assert.deepEqual(response?.results, [
      { groupId: "busy", errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: "never-was", errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
      { groupId: "idle", errorCode: ErrorCode.NONE },
    ]);
    assert.equal(await committed("idle"), -1n);
  });
});
