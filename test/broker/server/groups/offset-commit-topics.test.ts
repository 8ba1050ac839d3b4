import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { answerByTopic, flatOffsets } from "../../../../broker/server/groups/offset-commit-topics.ts";

const topics = [
  {
    name: "a",
    partitions: [
      { partitionIndex: 2, committedOffset: 10n, committedLeaderEpoch: 3, committedMetadata: null },
      { partitionIndex: 0, committedOffset: 4n, committedLeaderEpoch: -1, committedMetadata: "m" },
    ],
  },
  {
    name: "b",
    partitions: [{ partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: 0, committedMetadata: "" }],
  },
];

describe("offset commit topics", () => {
  it("when a request nests offsets by topic, then they come out flat in request order", () => {
    assert.deepEqual(flatOffsets(topics), [
      { topic: "a", partition: 2, offset: 10n, leaderEpoch: 3, metadata: null },
      { topic: "a", partition: 0, offset: 4n, leaderEpoch: -1, metadata: "m" },
      { topic: "b", partition: 1, offset: 7n, leaderEpoch: 0, metadata: "" },
    ]);
  });

  it("when flat results come back, then the answer has the request's nesting with each one's (mapped) error code", () => {
    const results = [{ errorCode: 0 }, { errorCode: 3 }, { errorCode: 90 }];
    assert.deepEqual(answerByTopic(topics, results), [
      {
        name: "a",
        partitions: [
          { partitionIndex: 2, errorCode: 0 },
          { partitionIndex: 0, errorCode: 3 },
        ],
      },
      { name: "b", partitions: [{ partitionIndex: 1, errorCode: 90 }] },
    ]);
    const mapped = answerByTopic(topics, results, (code) => (code === 90 ? 47 : code));
    assert.equal(mapped[1]!.partitions[0]!.errorCode, 47);
  });
});
