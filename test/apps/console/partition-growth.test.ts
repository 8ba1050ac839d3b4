// The growth preview lists exactly the users whose murmur2 partition changes when a topic grows,
// refuses a count that does not grow it, and the grow asks the admin client for the new total.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createPartitionGrowth, movedKeys } from "../../../apps/console/partition-growth.ts";
import type { AppError } from "../../../apps/shared/errors.ts";
import { murmur2 } from "../../../broker/client/producer/partitioners.ts";

const users = Array.from({ length: 200 }, (_, i) => `user-${String(i).padStart(4, "0")}`);
const place = (key: string, n: number) => (murmur2(Buffer.from(key)) & 0x7fffffff) % n;

function growth(commandKey: "userId" | "none" = "userId") {
  const requests: unknown[] = [];
  const growth = createPartitionGrowth({
    userIds: async () => users,
    partitionCount: async (topic) => {
      if (topic !== "points.commands") throw new Error("This server does not host this topic-partition");
      return 6;
    },
    admin: {
      createPartitions: async (request) => {
        requests.push(request);
        return true;
      },
    },
    commandKey,
  });
  return { growth, requests };
}

describe("movedKeys", () => {
  it("when a topic grows from 6 to 8, then exactly the keys whose partition changes are listed, with both partitions", () => {
    const moved = movedKeys(users, 6, 8);
    assert.deepEqual(
      moved,
      users.filter((u) => place(u, 6) !== place(u, 8)).map((u) => ({ userId: u, from: place(u, 6), to: place(u, 8) })),
    );
    assert.ok(moved.length > 0 && moved.length < users.length);
  });
});

describe("createPartitionGrowth", () => {
  it("when previewed, then it counts the unchanged users too", async () => {
    const preview = await growth().growth.preview("points.commands", 12);
    assert.equal(preview.from, 6);
    assert.equal(preview.to, 12);
    assert.equal(preview.moved.length + preview.unchanged, users.length);
    // 6 divides 12: a key moves only from p to p + 6.
    assert.ok(preview.moved.every((m) => m.to === m.from + 6));
  });

  it("when the count does not grow the topic or the topic is unknown, then it answers 400 or 404", async () => {
    await assert.rejects(growth().growth.preview("points.commands", 6), (e: AppError) => e.status === 400);
    await assert.rejects(growth().growth.grow("points.commands", 3), (e: AppError) => e.status === 400);
    await assert.rejects(growth().growth.preview("nope", 9), (e: AppError) => e.status === 404);
  });

  it("when commands carry no key, then no user is said to move, and the preview says why", async () => {
    const preview = await growth("none").growth.preview("points.commands", 9);
    assert.deepEqual(preview.moved, []);
    assert.equal(preview.unchanged, users.length);
    assert.match(preview.note ?? "", /no key/);
  });

  it("when grown, then the admin client is asked for the new total", async () => {
    const { growth: g, requests } = growth();
    assert.deepEqual(await g.grow("points.commands", 9), { topic: "points.commands", from: 6, to: 9 });
    assert.deepEqual(requests, [{ topicPartitions: [{ topic: "points.commands", count: 9 }] }]);
  });
});
