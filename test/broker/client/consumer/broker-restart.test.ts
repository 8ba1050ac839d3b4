// Our consumer while the broker is killed with SIGKILL and restarted on the same port: it rides
// out the outage, goes on from its committed offsets, and every record acknowledged before or
// after the restart reaches the app.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { range } from "../../../helpers/wait.ts";
import { consumeHelpers } from "./consume-fixture.ts";
import { inOrderPerPartition, type Received, useConsumerSuite, waitFor } from "./helpers.ts";

describe("consumer across a broker restart", () => {
  const suite = useConsumerSuite();
  const { consumer: groupConsumer, collect } = consumeHelpers(suite);

  it("when the broker is killed and restarted mid-stream, then the consumer resumes after its committed offsets and nothing acknowledged is lost", {
    timeout: 90_000,
  }, async () => {
    const { producer, admin, createTopic } = suite.rig();
    const topic = "restart-consume";
    const groupId = "restart-group";
    await createTopic(topic, 3);
    const send = (from: number, count: number) =>
      producer.send({
        topic,
        acks: -1,
        messages: range(count).map((i) => ({ key: `key-${(from + i) % 7}`, value: String(from + i) })),
      });
    const committedTotal = async (): Promise<number> => {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return offsets!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    };

    await send(0, 300);
    const received: Received[] = [];
    const consumer = groupConsumer(groupId, {
      retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000, restartOnFailure: async () => true },
    });
    await collect(consumer, topic, received);
    await waitFor(
      () => received.length >= 300,
      () => `the first 300 records (got ${received.length})`,
    );
    await waitFor(async () => (await committedTotal()) === 300, "the first 300 records committed");

    await suite.broker().kill();
    // No pause needed: the new process takes its own time to start, and the consumer meets a dead port meanwhile.
    await suite.broker().restart();
    await send(300, 300);

    const distinct = (): number => new Set(received.map((r) => r.value)).size;
    await waitFor(
      () => distinct() === 600,
      () => `all 600 records after the restart (got ${distinct()})`,
      60_000,
    );
    const redelivered = received.slice(300).filter((r) => Number(r.value) < 300);
    assert.deepEqual(redelivered, [], "records committed before the kill must not come again");
    assert.ok(inOrderPerPartition(received), "each partition's records arrive in offset order");
    await waitFor(async () => (await committedTotal()) === 600, "all 600 records committed after the restart");
  });
});
