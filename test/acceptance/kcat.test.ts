// Acceptance: librdkafka's kcat against the real broker process — metadata, keyed produce and
// consume, a balanced consumer group with committed offsets, the idempotent producer, and
// kcat ⇄ kafkajs in both directions.

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { CompressionCodec, compressionCodecOf } from "../../broker/protocol/record-batch/layout.ts";
import { splitBatches } from "../../broker/protocol/record-batch/splitter.ts";
import { type KcatResult, runKcat } from "../helpers/kcat.ts";
import { KCAT, needs } from "../helpers/system-tools.ts";
import { range, waitFor } from "../helpers/wait.ts";
import { collectFromBeginning, type ReceivedMessage, useAcceptanceSuite, withBrokerLog } from "./helpers.ts";

const showRun = (result: KcatResult): string =>
  `exit ${result.code ?? result.signal}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;

interface Line {
  key: string;
  value: string;
  partition: number;
  offset: number;
}

/** Parses `-f '%k:%s:%p:%o\n'` output (keys and values here hold no ':'). */
function parseLines(stdout: string): Line[] {
  return stdout
    .split("\n")
    .filter((l) => l.length > 0)
    .map((line) => {
      const [key, value, partition, offset] = line.split(":");
      assert.ok(
        key !== undefined && value !== undefined && partition !== undefined && offset !== undefined,
        `unparsable kcat line "${line}"`,
      );
      return { key, value, partition: Number(partition), offset: Number(offset) };
    });
}

/** A long-running `kcat -G` whose output lines are collected as they come. */
class GroupConsumerRun {
  readonly lines: string[] = [];
  stderr = "";
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(args: string[]) {
    this.child = spawn("kcat", args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child.stderr!.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    createInterface({ input: this.child.stdout! }).on("line", (line) => this.lines.push(line));
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
  }

  /** SIGTERM, which kcat handles by closing the consumer (committing and leaving the group). */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    return this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

describe("kcat (librdkafka)", ...needs(KCAT, kcatSuite));

function kcatSuite(): void {
  const suite = useAcceptanceSuite("acceptance-kcat");

  /** A `kcat -G` run, killed after the suite if it is still running. */
  const groupRun = (args: string[]): GroupConsumerRun => {
    const run = new GroupConsumerRun(args);
    suite.track({ disconnect: async () => run.kill() });
    return run;
  };

  const kcat = async (args: string[], input?: string): Promise<KcatResult> => {
    const result = await runKcat(["-b", suite.broker.address, ...args], { input });
    assert.equal(result.code, 0, `kcat ${args.join(" ")} failed: ${showRun(result)}`);
    return result;
  };

  const consumeToEnd = async (topic: string): Promise<Line[]> =>
    parseLines((await kcat(["-C", "-e", "-q", "-t", topic, "-f", "%k:%s:%p:%o\\n"])).stdout);

  it("when kcat lists metadata, then it shows the broker and a created topic with its partitions, as text and as JSON", async () => {
    await withBrokerLog(suite.broker, async () => {
      await suite.createTopic("kcat-meta", 4);

      const text = (await kcat(["-L"])).stdout;
      assert.match(text, new RegExp(`broker 0 at ${suite.broker.address.replace(/\./g, "\\.")}`), text);
      assert.match(text, /topic "kcat-meta" with 4 partitions:/, text);
      for (const p of range(4)) assert.match(text, new RegExp(`partition ${p}, leader 0, replicas: 0, isrs: 0`), text);

      const json = JSON.parse((await kcat(["-L", "-J", "-t", "kcat-meta"])).stdout) as {
        brokers: Array<{ id: number; name: string }>;
        topics: Array<{ topic: string; partitions: Array<{ partition: number; leader: number }>; error?: string }>;
      };
      assert.deepEqual(json.brokers, [{ id: 0, name: suite.broker.address }]);
      const topic = json.topics.find((t) => t.topic === "kcat-meta");
      assert.ok(topic, JSON.stringify(json));
      assert.equal(topic.error, undefined);
      assert.deepEqual(topic.partitions.map((p) => p.partition).sort(), range(4));
      for (const p of topic.partitions) assert.equal(p.leader, 0);
    });
  });

  it("when kcat produces keyed messages and consumes to the end, then all come back and a key always lands on the same partition, in order", async () => {
    await withBrokerLog(suite.broker, async () => {
      const topic = "kcat-keys";
      await suite.createTopic(topic, 4);
      const input = range(40).map((i) => `key${i % 8}:value-${i % 8}-${Math.floor(i / 8)}`);
      await kcat(["-P", "-K:", "-t", topic], `${input.join("\n")}\n`);

      const lines = await consumeToEnd(topic);
      assert.deepEqual(lines.map((l) => `${l.key}:${l.value}`).sort(), [...input].sort());
      const partitionOfKey = new Map<string, number>();
      for (const line of lines) {
        const known = partitionOfKey.get(line.key);
        if (known === undefined) partitionOfKey.set(line.key, line.partition);
        else assert.equal(line.partition, known, `key ${line.key} on partitions ${known} and ${line.partition}`);
      }
      assert.ok(new Set(partitionOfKey.values()).size > 1, "8 keys all hashed to one partition");
      for (const key of partitionOfKey.keys()) {
        const ofKey = lines.filter((l) => l.key === key).sort((a, b) => a.offset - b.offset);
        assert.deepEqual(
          ofKey.map((l) => l.value),
          range(5).map((j) => `value-${key.slice(3)}-${j}`),
          `order of ${key}`,
        );
      }
      // Offsets are dense per partition.
      for (const p of new Set(lines.map((l) => l.partition))) {
        const offsets = lines
          .filter((l) => l.partition === p)
          .map((l) => l.offset)
          .sort((a, b) => a - b);
        assert.deepEqual(offsets, range(offsets.length), `offsets of partition ${p}`);
      }
    });
  });

  it("when kcat consumes in a group and is stopped, then its offsets are committed and the next run of the group gets only new messages", {
    timeout: 120_000,
  }, async () => {
    await withBrokerLog(suite.broker, async () => {
      const topic = "kcat-group";
      const groupId = "kcat-group-1";
      await suite.createTopic(topic, 3);
      await suite.producer.send({
        topic,
        acks: -1,
        messages: range(30).map((i) => ({ key: `k${i % 5}`, value: `old-${i}` })),
      });
      const groupArgs = [
        "-b",
        suite.broker.address,
        "-G",
        groupId,
        "-X",
        "auto.offset.reset=earliest",
        "-q",
        "-u",
        "-f",
        "%p:%o:%s\\n",
        topic,
      ];

      const first = groupRun(groupArgs);
      await waitFor(() => first.lines.length >= 30, {
        timeoutMs: 60_000,
        message: () => `kcat -G to print 30 messages (has ${first.lines.length}); stderr: ${first.stderr}`,
      });
      assert.equal(await first.stop(), 0, `kcat -G exit; stderr: ${first.stderr}`);
      assert.deepEqual(
        first.lines.map((l) => l.split(":")[2]).sort(),
        range(30)
          .map((i) => `old-${i}`)
          .sort(),
      );

      const ends = new Map((await suite.admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]));
      const [committed] = await suite.admin.fetchOffsets({ groupId, topics: [topic] });
      for (const p of committed!.partitions) {
        assert.equal(
          p.offset,
          ends.get(p.partition),
          `committed offset of partition ${p.partition} (ends ${JSON.stringify([...ends])})`,
        );
      }

      // A second run of the group: one new message per partition; each arrives after anything older on its partition.
      const second = groupRun(groupArgs);
      await suite.producer.send({
        topic,
        acks: -1,
        messages: range(3).map((p) => ({ partition: p, value: `new-${p}` })),
      });
      await waitFor(() => range(3).every((p) => second.lines.includes(`${p}:${ends.get(p)}:new-${p}`)), {
        timeoutMs: 60_000,
        message: () =>
          `the second kcat -G run to print the 3 new messages (has ${JSON.stringify(second.lines)}); stderr: ${second.stderr}`,
      });
      assert.equal(await second.stop(), 0, `second kcat -G exit; stderr: ${second.stderr}`);
      assert.deepEqual(
        [...second.lines].sort(),
        range(3).map((p) => `${p}:${ends.get(p)}:new-${p}`),
      );
    });
  });

  it("when kcat produces with enable.idempotence=true, then it succeeds and each message is stored exactly once", async () => {
    await withBrokerLog(suite.broker, async () => {
      const topic = "kcat-idempotent";
      await suite.createTopic(topic, 2);
      const input = range(50).map((i) => `id${i % 4}:payload-${i}`);
      const result = await kcat(["-P", "-K:", "-t", topic, "-X", "enable.idempotence=true"], `${input.join("\n")}\n`);
      assert.doesNotMatch(result.stderr, /error|fail/i, result.stderr);

      const lines = await consumeToEnd(topic);
      assert.deepEqual(lines.map((l) => `${l.key}:${l.value}`).sort(), [...input].sort());
      const offsets = await suite.admin.fetchTopicOffsets(topic);
      assert.equal(
        offsets.reduce((sum, o) => sum + Number(o.high), 0),
        50,
        "the log holds each message once",
      );
    });
  });

  it("when kcat produces with gzip, then the stored batches are gzip-compressed and read back intact", async () => {
    await withBrokerLog(suite.broker, async () => {
      const topic = "kcat-gzip";
      await suite.createTopic(topic, 1);
      const input = range(20).map((i) => `gz${i}:${"compressible-".repeat(20)}${i}`);
      await kcat(["-P", "-K:", "-z", "gzip", "-t", topic], `${input.join("\n")}\n`);
      const lines = await consumeToEnd(topic);
      assert.deepEqual(lines.map((l) => `${l.key}:${l.value}`).sort(), [...input].sort());
      // librdkafka silently sends uncompressed batches when it thinks the broker cannot take gzip.
      const stored = readFileSync(join(suite.broker.dataDir, `${topic}-0`, "00000000000000000000.log"));
      const codecs = splitBatches(stored).batches.map((b) => compressionCodecOf(b.header.attributes));
      assert.ok(
        codecs.length > 0 && codecs.every((codec) => codec === CompressionCodec.Gzip),
        `codecs stored: ${codecs.join(",")}`,
      );
    });
  });

  it("when kcat produces keyed messages, then a kafkajs consumer gets them with keys intact", {
    timeout: 60_000,
  }, async () => {
    await withBrokerLog(suite.broker, async () => {
      const topic = "kcat-to-kafkajs";
      await suite.createTopic(topic, 3);
      const input = range(12).map((i) => `user-${i % 4}:event-${i}`);
      await kcat(["-P", "-K:", "-t", topic], `${input.join("\n")}\n`);

      const received: ReceivedMessage[] = [];
      const consumer = suite.consumer("kcat-to-kafkajs-group");
      await collectFromBeginning(consumer, topic, received);
      await waitFor(() => received.length >= 12, {
        message: () => `kafkajs to receive 12 messages (got ${received.length})`,
      });
      await consumer.disconnect();
      assert.deepEqual(received.map((m) => `${m.key}:${m.value}`).sort(), [...input].sort());
    });
  });

  it("when kafkajs produces keyed messages with headers, then kcat consumes them with keys and headers intact", async () => {
    await withBrokerLog(suite.broker, async () => {
      const topic = "kafkajs-to-kcat";
      await suite.createTopic(topic, 3);
      const messages = range(12).map((i) => ({
        key: `user-${i % 4}`,
        value: `event-${i}`,
        headers: { origin: "kafkajs", n: String(i) },
      }));
      await suite.producer.send({ topic, acks: -1, messages });

      const result = await kcat(["-C", "-e", "-q", "-t", topic, "-f", "%k|%s|%h\\n"]);
      const lines = result.stdout
        .split("\n")
        .filter((l) => l.length > 0)
        .sort();
      assert.deepEqual(lines, messages.map((m) => `${m.key}|${m.value}|origin=kafkajs,n=${m.headers.n}`).sort());
    });
  });
}
