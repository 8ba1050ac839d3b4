import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TopicPartitionSet } from "../../../../broker/server/groups/consumer-group.ts";
import {
  type AssignorMember,
  type AssignorTopic,
  assignorsFromConfig,
  rangeAssignor,
  uniformAssignor,
} from "../../../../broker/server/groups/consumer-group-assignors.ts";

const ORDERS = "aa".repeat(16);
const SALES = "bb".repeat(16);

function topics(...entries: [string, string, number][]): Map<string, AssignorTopic> {
  return new Map(entries.map(([topicId, name, partitionCount]) => [topicId, { topicId, name, partitionCount }]));
}

function member(memberId: string, subscribed: string[], currentTarget: TopicPartitionSet = new Map()): AssignorMember {
  return { memberId, subscribedTopicIds: new Set(subscribed), currentTarget };
}

/** memberId → "topicName:partition" list, sorted, for readable comparisons. */
function flatten(
  targets: Map<string, TopicPartitionSet>,
  names = new Map([
    [ORDERS, "orders"],
    [SALES, "sales"],
  ]),
) {
  return Object.fromEntries(
    [...targets].map(([memberId, target]) => [
      memberId,
      [...target].flatMap(([topicId, partitions]) => [...partitions].map((p) => `${names.get(topicId)}:${p}`)).sort(),
    ]),
  );
}

function counts(targets: Map<string, TopicPartitionSet>): number[] {
  return [...targets.values()].map((target) => [...target.values()].reduce((sum, set) => sum + set.size, 0));
}

describe("the uniform assignor", () => {
  it("when members subscribe alike, then each gets as many partitions as the others, give or take one", () => {
    const result = uniformAssignor.assign(
      [member("a", [ORDERS]), member("b", [ORDERS]), member("c", [ORDERS])],
      topics([ORDERS, "orders", 7]),
    );
    const sizes = counts(result).sort();
    assert.deepEqual(sizes, [2, 2, 3]);
    const all = Object.values(flatten(result)).flat().sort();
    assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6].map((p) => `orders:${p}`).sort());
  });

  it("when a member joins a balanced group, then only the partitions it needs move and the rest stay put", () => {
    const before = uniformAssignor.assign(
      [member("a", [ORDERS]), member("b", [ORDERS])],
      topics([ORDERS, "orders", 6]),
    );
    const after = uniformAssignor.assign(
      [member("a", [ORDERS], before.get("a")), member("b", [ORDERS], before.get("b")), member("c", [ORDERS])],
      topics([ORDERS, "orders", 6]),
    );
    assert.deepEqual(counts(after), [2, 2, 2]);
    const kept = (id: string) => flatten(after)[id]!.filter((p) => flatten(before)[id]!.includes(p));
    // a and b each give up one partition to c and keep the other two.
    assert.equal(kept("a").length, 2);
    assert.equal(kept("b").length, 2);
  });

  it("when a member leaves, then its partitions go to the others and theirs stay put", () => {
    const before = uniformAssignor.assign(
      [member("a", [ORDERS]), member("b", [ORDERS]), member("c", [ORDERS])],
      topics([ORDERS, "orders", 6]),
    );
    const after = uniformAssignor.assign(
      [member("a", [ORDERS], before.get("a")), member("c", [ORDERS], before.get("c"))],
      topics([ORDERS, "orders", 6]),
    );
    assert.deepEqual(counts(after), [3, 3]);
    for (const id of ["a", "c"]) {
      for (const partition of flatten(before)[id]!) assert.ok(flatten(after)[id]!.includes(partition));
    }
  });

  it("when subscriptions differ, then a member only gets topics it subscribes to, balanced as far as they allow", () => {
    const result = uniformAssignor.assign(
      [member("a", [ORDERS]), member("b", [ORDERS, SALES]), member("c", [SALES])],
      topics([ORDERS, "orders", 4], [SALES, "sales", 2]),
    );
    const flat = flatten(result);
    assert.ok(flat.a!.every((p) => p.startsWith("orders:")));
    assert.ok(flat.c!.every((p) => p.startsWith("sales:")));
    assert.deepEqual(counts(result), [2, 2, 2]);
  });

  it("when the target names a partition that no longer exists or a topic no longer subscribed, then it is dropped", () => {
    const stale: TopicPartitionSet = new Map([
      [ORDERS, new Set([0, 9])],
      [SALES, new Set([0])],
    ]);
    const result = uniformAssignor.assign(
      [member("a", [ORDERS], stale)],
      topics([ORDERS, "orders", 2], [SALES, "sales", 1]),
    );
    assert.deepEqual(flatten(result), { a: ["orders:0", "orders:1"] });
  });
});

describe("the range assignor", () => {
  it("when partitions do not divide, then the first members by id take one more, each a contiguous range", () => {
    const result = rangeAssignor.assign(
      [member("c", [ORDERS]), member("a", [ORDERS]), member("b", [ORDERS])],
      topics([ORDERS, "orders", 7]),
    );
    assert.deepEqual(flatten(result), {
      c: ["orders:5", "orders:6"],
      a: ["orders:0", "orders:1", "orders:2"],
      b: ["orders:3", "orders:4"],
    });
  });

  it("when a member subscribes to no topic, then it gets nothing and still has an entry", () => {
    const result = rangeAssignor.assign([member("a", [ORDERS]), member("b", [])], topics([ORDERS, "orders", 2]));
    assert.deepEqual(flatten(result), { a: ["orders:0", "orders:1"], b: [] });
  });
});

describe("group.consumer.assignors", () => {
  it("when the config names assignors, then they come in its order; an unknown name is refused", () => {
    assert.deepEqual(
      assignorsFromConfig(["range", " uniform"]).map((assignor) => assignor.name),
      ["range", "uniform"],
    );
    assert.deepEqual(
      assignorsFromConfig(["org.apache.kafka.coordinator.group.assignor.RangeAssignor"]).map(
        (assignor) => assignor.name,
      ),
      ["range"],
    );
    assert.throws(() => assignorsFromConfig(["sticky"]), RangeError);
    assert.throws(() => assignorsFromConfig([]), RangeError);
  });
});
