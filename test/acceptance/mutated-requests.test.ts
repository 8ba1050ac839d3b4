// Acceptance: a bad frame costs the broker at most its connection. Real kafkajs requests are
// recorded off the sockets of a kafkajs session against the real broker process; a few thousand
// mutated copies (every integer field at its maximum, then random bit flips, rewritten lengths
// and counts, truncations) go to it over short-lived connections. Afterwards the broker's memory
// is still small, kafkajs still produces and consumes, and SIGTERM stops it with exit code 0.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import type { Consumer, Producer } from "kafkajs";
import { mutationPlan, type RequestFrame, recordKafkajsRequests, sendOnce } from "../helpers/request-mutations.ts";
import { waitFor } from "../helpers/wait.ts";
import {
  brokerPids,
  collectFromBeginning,
  kafkaClient,
  quickConsumerConfig,
  type ReceivedMessage,
  useAcceptanceBroker,
  withBrokerLog,
} from "./helpers.ts";

const MUTATED_COPIES = 3000;
const SEED = 7;
const CONNECTIONS_AT_ONCE = 8;
/** How long a connection waits for an answer: the broker may rightly hold a request (a long poll, a torn frame). */
const PATIENCE_MS = 250;
/** Far above what the broker needs here (about 100 MB), far below what a runaway allocation reaches. */
const RSS_LIMIT_MB = 1024;

/** Resident memory of the broker serving `dataDir`, in MB; undefined without /proc. */
function brokerRssMb(dataDir: string): number | undefined {
  const [pid] = brokerPids(dataDir);
  if (pid === undefined) return undefined;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

describe("mutated kafkajs requests", () => {
  const suite = useAcceptanceBroker();
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let frames: RequestFrame[] = [];
  const outcomes: Record<string, number> = {};
  let largestRssMb = 0;

  before(async () => {
    frames = await recordKafkajsRequests(suite.broker.address);
  });

  it("when a kafkajs session is recorded, then its frames cover produce, fetch, groups, offsets and admin", () => {
    const apiKeys = new Set(frames.map((frame) => frame.readInt16BE(0)));
    // Produce, Fetch, ListOffsets, Metadata, OffsetCommit, OffsetFetch, FindCoordinator, JoinGroup,
    // SyncGroup, ApiVersions, CreateTopics, DeleteTopics, InitProducerId, CreatePartitions.
    for (const key of [0, 1, 2, 3, 8, 9, 10, 11, 14, 18, 19, 20, 22, 37]) assert.ok(apiKeys.has(key), `api ${key}`);
  });

  it("when thousands of mutated copies arrive over short-lived connections, then the broker's memory stays small", async () => {
    await withBrokerLog(suite.broker, async () => {
      const plan = mutationPlan(frames, MUTATED_COPIES, SEED);
      let next = 0;
      const sender = async (): Promise<void> => {
        while (next < plan.length) {
          const bytes = plan[next++]!;
          const outcome = await sendOnce(suite.broker.address, bytes, PATIENCE_MS);
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
          if (next % 100 === 0) largestRssMb = Math.max(largestRssMb, brokerRssMb(suite.broker.dataDir) ?? 0);
        }
      };
      await Promise.all(Array.from({ length: CONNECTIONS_AT_ONCE }, sender));
      largestRssMb = Math.max(largestRssMb, brokerRssMb(suite.broker.dataDir) ?? 0);
      assert.equal(outcomes.refused, undefined, `the broker stopped accepting: ${JSON.stringify(outcomes)}`);
      assert.ok(largestRssMb < RSS_LIMIT_MB, `the broker reached ${Math.round(largestRssMb)} MB`);
    });
  });

  it("when the mutated requests are done, then kafkajs still produces and consumes", async () => {
    await withBrokerLog(suite.broker, async () => {
      const kafka = kafkaClient(suite.broker.address, "after-mutations");
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "survivor", numPartitions: 2 }], waitForLeaders: true });
      await admin.disconnect();
      producer = await suite.connect(kafka.producer());
      const values = Array.from({ length: 20 }, (_, i) => `value-${i}`);
      await producer.send({ topic: "survivor", messages: values.map((value, i) => ({ key: `k${i}`, value })) });
      consumer = suite.track(kafka.consumer(quickConsumerConfig("survivors")));
      const received: ReceivedMessage[] = [];
      await collectFromBeginning(consumer, "survivor", received);
      await waitFor(() => received.length >= values.length, {
        timeoutMs: 60_000,
        message: () => `20 messages consumed (has ${received.length})`,
      });
      assert.deepEqual(received.map((m) => m.value).sort(), [...values].sort());
    });
  });

  it("when SIGTERM comes, then the broker stops with exit code 0", async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    const dataDir = suite.broker.dataDir;
    let exitCode: number | null | undefined;
    void suite.broker.stop().then((code) => {
      exitCode = code;
    });
    try {
      await waitFor(() => exitCode !== undefined, { timeoutMs: 30_000, message: "the broker to exit after SIGTERM" });
    } finally {
      // A broker deaf to SIGTERM must not outlive the test.
      if (exitCode === undefined) for (const pid of brokerPids(dataDir)) process.kill(pid, "SIGKILL");
    }
    assert.equal(exitCode, 0);
  });
});
