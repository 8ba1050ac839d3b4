// Acceptance: librdkafka's transactional producer (python3-confluent-kafka, librdkafka 2.0.2)
// against the real broker process — commit and abort, what read_committed and read_uncommitted
// consumers read, and consume-transform-produce with the offsets sent in the transaction. The
// Python side is confluent-transactions.py; it prints what it saw as JSON.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { runCommand } from "../helpers/command.ts";
import { CONFLUENT_KAFKA, needs, pathOf } from "../helpers/system-tools.ts";
import { useAcceptanceSuite, withBrokerLog } from "./helpers.ts";

const script = fileURLToPath(new URL("./confluent-transactions.py", import.meta.url));

interface Seen {
  readCommitted: [number, string][];
  readUncommitted: [number, string][];
  ctpCommitted: number;
  output: string[];
}

describe("acceptance: librdkafka transactions", () => {
  const suite = useAcceptanceSuite("acceptance-librdkafka-transactions", {
    "transaction.state.log.num.partitions": 3,
  });

  it(
    "when librdkafka commits, aborts and sends offsets in transactions, then read_committed sees only the committed ones",
    ...needs(CONFLUENT_KAFKA, { timeout: 120_000 }, () =>
      withBrokerLog(suite.broker, async () => {
        const suffix = Math.random().toString(36).slice(2, 8);
        const [topic, output] = [`rdkafka-tx-${suffix}`, `rdkafka-tx-out-${suffix}`];
        await suite.createTopic(topic, 1);
        await suite.createTopic(output, 1);
        // The script bounds each of its steps (30 s); the test's timeout bounds the whole.
        const run = await runCommand(pathOf(CONFLUENT_KAFKA), [
          script,
          suite.broker.address,
          topic,
          output,
          `rdkafka-tx-${suffix}`,
          `rdkafka-${suffix}`,
        ]);
        assert.equal(run.code, 0, `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
        const seen = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as Seen;
        // Markers sit at offsets 3, 6 and 8; the aborted records at 4 and 5.
        assert.deepEqual(seen.readCommitted, [
          [0, "c1"],
          [1, "c2"],
          [2, "c3"],
          [7, "c4"],
        ]);
        assert.deepEqual(seen.readUncommitted, [
          [0, "c1"],
          [1, "c2"],
          [2, "c3"],
          [4, "a1"],
          [5, "a2"],
          [7, "c4"],
        ]);
        // The fourth transaction (c4's) aborted: its output and its offset did not stick.
        assert.equal(seen.ctpCommitted, 3);
        assert.deepEqual(seen.output, ["doubled c1", "doubled c2", "doubled c3"]);
      }),
    ),
  );
});
