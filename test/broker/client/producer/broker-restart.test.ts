// A broker killed with SIGKILL mid-stream and restarted on the same port: the sends pending at the
// kill, and those made while it is down, retry and succeed, and every acknowledged record is in
// the log afterwards: at least once, and exactly once for the idempotent producer.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Producer } from "../../../../broker/client/producer/index.ts";
import { createTopic, ourProducer, readTopic, waitFor } from "./helpers.ts";
import { useProduceSuite } from "./produce-fixture.ts";

const PARTITIONS = 3;
const WORKERS = 12;
const TOTAL = 2400;
const KILL_AFTER = 600;

const suite = useProduceSuite({ defaultProducer: false });

/**
 * WORKERS loops each send one numbered record after another until TOTAL are acknowledged; the
 * KILL_AFTER-th acknowledgement kills the broker, which is then restarted.
 */
async function produceThroughRestart(
  producer: Producer,
  topic: string,
): Promise<{ acknowledged: Set<number>; failures: unknown[] }> {
  const acknowledged = new Set<number>();
  const failures: unknown[] = [];
  let next = 0;
  const pending = (): number => next - acknowledged.size - failures.length;
  let killed: Promise<void> | undefined;
  let atKill = { acknowledged: 0, pending: 0 };
  const worker = async (w: number): Promise<void> => {
    while (next < TOTAL) {
      const n = next++;
      try {
        await producer.send({ topic, messages: [{ key: `worker-${w}`, value: String(n) }] });
        acknowledged.add(n);
        // Killed right at the KILL_AFTER-th acknowledgement, so the kill comes mid-stream with the
        // other workers' sends in flight, however fast or slow the machine.
        if (acknowledged.size === KILL_AFTER) {
          atKill = { acknowledged: acknowledged.size, pending: pending() };
          killed = suite.broker().kill();
        }
      } catch (error) {
        failures.push(error);
      }
    }
  };
  const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
  await waitFor(() => killed !== undefined, `${KILL_AFTER} acknowledged records before the kill`);
  await killed;
  // No pause needed: sends keep being made (and retried) while the new process takes its own time to start.
  await suite.broker().restart();
  await Promise.all(workers);
  assert.ok(atKill.acknowledged < TOTAL, "the kill came mid-stream");
  assert.ok(atKill.pending > 0, "sends were waiting for an answer when the broker died");
  return { acknowledged, failures };
}

async function storedCounts(topic: string): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const record of (await readTopic(suite.broker().address, topic, PARTITIONS)).flat()) {
    const n = Number(record.value!.toString());
    counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  return counts;
}

describe("producer through a broker restart", () => {
  for (const idempotent of [false, true]) {
    it(`when the broker is killed with SIGKILL and restarted mid-stream, then every send succeeds and each record is stored ${idempotent ? "exactly once (idempotent)" : "at least once"}`, async () => {
      const topic = `restart-${idempotent ? "idempotent" : "plain"}`;
      await createTopic(suite.broker().address, topic, PARTITIONS);
      const { producer } = ourProducer(suite.broker().address, {
        idempotent,
        retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 },
      });
      suite.track(producer);
      await producer.connect();

      const { acknowledged, failures } = await produceThroughRestart(producer, topic);
      assert.deepEqual(failures, []);
      assert.equal(acknowledged.size, TOTAL);

      const counts = await storedCounts(topic);
      const missing = [...acknowledged].filter((n) => !counts.has(n));
      assert.deepEqual(missing, [], "acknowledged records missing from the log");
      if (idempotent) {
        const duplicated = [...counts].filter(([, count]) => count > 1).map(([n]) => n);
        assert.deepEqual(duplicated, [], "records stored more than once");
      }
      await producer.disconnect();
    });
  }
});
