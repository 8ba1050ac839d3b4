import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { createTopicsRequest } from "../../../helpers/requests.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";
import {
  type CommittedOffset,
  offsetCommitRequest,
  restartedStaticMember,
  type StableMember,
  stableMember,
} from "./group-requests.ts";

describe("OffsetCommit", () => {
  const broker = useRoutedBroker({ "offset.metadata.max.bytes": "16" });
  before(async () => {
    await broker.request(
      Apis.CreateTopics,
      4,
      createTopicsRequest(["sales", "refunds"].map((name) => ({ name, numPartitions: 2 }))),
    );
  });

  const commit = (groupId: string, offsets: Record<string, CommittedOffset[]>, member?: StableMember) =>
    broker.request(Apis.OffsetCommit, 7, offsetCommitRequest(groupId, offsets, member));
  const fetchCommitted = async (groupId: string) =>
    (await broker.request(Apis.OffsetFetch, 5, { groupId, topics: null }))!.topics
      .flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}@${p.committedOffset}`))
      .sort();

  it("when offsets of several topics are committed, then each partition is answered in the request's nesting and order, and stored", async () => {
    const response = await commit("committer", {
      sales: [
        [1, 10n],
        [0, 20n],
      ],
      refunds: [[0, 3n]],
    });
    assert.deepEqual(
      response?.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
      [
        [
          "sales",
          [
            [1, ErrorCode.NONE],
            [0, ErrorCode.NONE],
          ],
        ],
        ["refunds", [[0, ErrorCode.NONE]]],
      ],
    );
    assert.deepEqual(await fetchCommitted("committer"), ["refunds-0@3", "sales-0@20", "sales-1@10"]);
  });

  it("when one partition does not exist or its metadata is too long, then only that one fails", async () => {
    const response = await commit("picky", {
      sales: [
        [0, 5n],
        [7, 5n],
        [1, 5n, "more than sixteen bytes"],
      ],
    });
    assert.deepEqual(
      response?.topics[0]?.partitions.map((p) => p.errorCode),
      [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.OFFSET_METADATA_TOO_LARGE],
    );
    assert.deepEqual(await fetchCommitted("picky"), ["sales-0@5"]);
  });

  it("when a member commits with a generation that is not the group's, then every partition gets ILLEGAL_GENERATION and nothing is stored", async () => {
    const member = await stableMember(broker, "stale-committer");
    const response = await commit(
      "stale-committer",
      { sales: [[0, 1n]], refunds: [[1, 1n]] },
      { memberId: member.memberId, generationId: member.generationId + 1 },
    );
    assert.deepEqual(
      response?.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)),
      [ErrorCode.ILLEGAL_GENERATION, ErrorCode.ILLEGAL_GENERATION],
    );
    assert.deepEqual(await fetchCommitted("stale-committer"), []);
  });

  it("when a group has members, then a commit outside membership gets UNKNOWN_MEMBER_ID", async () => {
    await stableMember(broker, "managed");
    const response = await commit("managed", { sales: [[0, 1n]] });
    assert.equal(response?.topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it("when a static member's old member id commits with v7 and its instance id, then FENCED_INSTANCE_ID; the new id commits", async () => {
    const { old, current } = await restartedStaticMember(broker, "static-commits");
    const fenced = await broker.request(Apis.OffsetCommit, 7, {
      ...offsetCommitRequest("static-commits", { sales: [[0, 5n]] }, old),
      groupInstanceId: "till-1",
    });
    assert.equal(fenced?.topics[0]?.partitions[0]?.errorCode, ErrorCode.FENCED_INSTANCE_ID);
    const accepted = await broker.request(Apis.OffsetCommit, 7, {
      ...offsetCommitRequest("static-commits", { sales: [[0, 5n]] }, current),
      groupInstanceId: "till-1",
    });
    assert.equal(accepted?.topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE);
  });
});
