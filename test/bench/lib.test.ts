// The benchmarks' shared helpers: the pure ones (rates, rounding, formatting, the send loop's
// bookkeeping) on their own, and the clients and topic helpers against a real broker.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type BenchProducer,
  CLIENTS,
  createProducer,
  createTopic,
  int,
  printTable,
  rate,
  recordValue,
  round,
  sendLoop,
  short,
  step,
  topicRecords,
  uniqueGroupId,
  withBroker,
  withTimeout,
} from "../../bench/lib.ts";

/** A producer that records each send and resolves it when the test says (or at once). */
function recordingProducer(holdSends = false) {
  const sends: Array<{ count: number; partitions: Array<number | undefined> }> = [];
  const waiting: Array<() => void> = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const producer: BenchProducer = {
    connect: async () => {},
    disconnect: async () => {},
    send: async ({ messages }) => {
      sends.push({ count: messages.length, partitions: [...new Set(messages.map((m) => m.partition))] });
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      if (holdSends) await new Promise<void>((resolve) => waiting.push(resolve));
      inFlight--;
    },
  };
  return { producer, sends, waiting, mostInFlight: () => mostInFlight };
}

describe("bench helpers", () => {
  it("when a rate is computed, then whole records/s, MB/s (10^6 bytes) to 2 digits and seconds to 3", () => {
    assert.deepEqual(rate(1_000_000, 100_000_000, 2.5), { recordsPerSec: 400_000, mbPerSec: 40, seconds: 2.5 });
    assert.deepEqual(rate(10, 1234, 0.333333), { recordsPerSec: 30, mbPerSec: 0, seconds: 0.333 });
    assert.equal(round(1.23456, 2), 1.23);
    assert.equal(round(2.5, 0), 3);
  });

  it("when numbers are shown, then thousands are grouped, and short forms use k and M", () => {
    assert.equal(int(1234567), "1,234,567");
    assert.deepEqual([short(1_234_567), short(85_300), short(999), short(0.4)], ["1.23M", "85.3k", "999", "0"]);
  });

  it("when a record value is made, then it has the asked size, a-z repeated", () => {
    assert.equal(recordValue(30).toString(), "abcdefghijklmnopqrstuvwxyzabcd");
    assert.equal(recordValue(0).length, 0);
  });

  it("when group ids are made, then each is new and starts with the prefix", () => {
    const ids = Array.from({ length: 50 }, () => uniqueGroupId("bench"));
    assert.equal(new Set(ids).size, 50);
    assert.ok(ids.every((id) => id.startsWith("bench-")));
  });

  it("when a table is printed, then the first column is left-aligned and the others right-aligned, under a rule", (t) => {
    const lines: string[] = [];
    t.mock.method(console, "log", (line: string) => lines.push(line));
    printTable(
      ["client", "records/s"],
      [
        ["kafkajs", "85.3k"],
        ["ours", "1.23M"],
      ],
    );
    assert.deepEqual(lines, ["client   records/s", "-------  ---------", "kafkajs      85.3k", "ours         1.23M"]);
  });

  it("when a step runs, then its label and then its summary, or failed, on one line", async (t) => {
    let written = "";
    t.mock.method(process.stdout, "write", (text: string) => {
      written += text;
      return true;
    });
    assert.equal(
      await step(
        "broker",
        "produce",
        async () => 42,
        (n) => `${n} records`,
      ),
      42,
    );
    await assert.rejects(
      step(
        "broker",
        "consume",
        async () => {
          throw new Error("crashed");
        },
        () => "never",
      ),
      /crashed/,
    );
    t.mock.restoreAll();
    assert.equal(written, "[broker] produce ... 42 records\n[broker] consume ... failed\n");
  });

  it("when a promise settles in time, then its value; when it never does, then a rejection with the message", async () => {
    assert.equal(await withTimeout(Promise.resolve("done"), 1000, "slow"), "done");
    await assert.rejects(
      withTimeout(new Promise(() => {}), 1, () => "consumer never joined"),
      {
        message: "consumer never joined",
      },
    );
  });

  it("when the send loop runs to a record count, then it sends full batches and a last short one, never more than inFlight at a time", async () => {
    const recording = recordingProducer(true);
    const progress: number[] = [];
    const loop = sendLoop(recording.producer, {
      topic: "t",
      batchSize: 10,
      recordBytes: 5,
      inFlight: 3,
      acks: 1,
      records: 45,
      onProgress: (sent) => progress.push(sent),
    });
    // Release sends one at a time as they arrive, until the loop ends.
    let done = false;
    void loop.then(() => (done = true));
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      recording.waiting.shift()?.();
    }
    assert.equal(await loop, 45);
    assert.deepEqual(
      recording.sends.map((s) => s.count),
      [10, 10, 10, 10, 5],
    );
    assert.equal(recording.mostInFlight(), 3);
    assert.deepEqual(progress, [10, 20, 30, 40, 45]);
  });

  it("when each send goes to one partition, then sends take the partitions in turn", async () => {
    const recording = recordingProducer();
    await sendLoop(recording.producer, {
      topic: "t",
      batchSize: 2,
      recordBytes: 1,
      inFlight: 1,
      acks: 1,
      records: 10,
      partitionPerSend: 3,
    });
    assert.deepEqual(
      recording.sends.map((s) => s.partitions),
      [[0], [1], [2], [0], [1]],
    );
  });

  it("when both clients send to a real broker, then the topic holds every record they sent", async () => {
    await withBroker("lib-test", async (address) => {
      await createTopic(address, "bench-lib", 3);
      for (const client of CLIENTS) {
        const producer = createProducer(client, address);
        await producer.connect();
        try {
          assert.equal(
            await sendLoop(producer, {
              topic: "bench-lib",
              batchSize: 50,
              recordBytes: 10,
              inFlight: 2,
              acks: 1,
              records: 200,
            }),
            200,
          );
        } finally {
          await producer.disconnect();
        }
      }
      assert.equal(await topicRecords(address, "bench-lib"), 400);
    });
  });
});
