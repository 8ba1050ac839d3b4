// Real partitions on real log files in a temp dir, for tests of the modules that read and append
// through Partition objects: each led by this broker alone (ISR: itself), as a lone broker leads
// its partitions, so what its leader appends is committed at once.

import * as fs from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { Partition } from "../../../broker/server/partition.ts";
import { batchOfSize } from "../storage/batch-builder.ts";
import { leaderAlone } from "./replication/partition-state-fixture.ts";

export interface TestPartitions {
  partition(topic: string, index: number): Partition | undefined;
  /** Partition `index` of the topic. */
  at(index: number): Partition;
  /** Forgets a partition, as if its topic were deleted; the Partition object stays usable. */
  remove(index: number): void;
  /** How often a partition was looked up (each read of a fetch looks up each of its partitions once). */
  lookups: number;
}

/** Partitions 0..count-1 of one topic, each on its own log in a temp dir removed after the test. */
export function topicPartitions(t: TestContext, count: number, topic = "sales"): TestPartitions {
  const dir = fs.mkdtempSync(join(os.tmpdir(), "partitions-test-"));
  const byIndex = new Map<number, Partition>();
  for (let index = 0; index < count; index += 1) {
    byIndex.set(index, leaderAlone(t, { topic, index, dir: join(dir, `${topic}-${index}`) }).partition);
  }
  const all = [...byIndex.values()];
  // Registered after the partitions' own cleanups, so it runs once their logs are closed.
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return {
    lookups: 0,
    partition(name, index) {
      this.lookups += 1;
      return name === topic ? byIndex.get(index) : undefined;
    },
    at(index) {
      return all[index]!;
    },
    remove(index) {
      byIndex.delete(index);
    },
  };
}

/**
 * Appends one batch of `valueBytes`-byte records through the partition's leader, as a produce
 * does, and returns the batch as stored.
 */
export function appendBatch(partition: Partition, count = 1, valueBytes = 100): Buffer {
  const batch = batchOfSize(count, valueBytes);
  const outcome = partition.replication.appendAsLeader(batch, 1);
  if (outcome.errorCode !== 0) throw new Error(`append failed: ${outcome.errorMessage}`);
  return batch;
}
