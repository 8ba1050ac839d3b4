// Acceptance: the broker wire fuzzer's CI slice (test/helpers/fuzz/; `npm run bench -- --only fuzz`
// runs a million frames). Against a real broker process: a kafkajs and a kcat session are recorded
// off the wire, valid requests of every API and version generated from the schemas, and 25,000
// frames of the mix (every integer field of every recorded frame at its maximum, then valid,
// mutated, batch-broken, gzip-bomb, header-odd and random frames) go to it over short-lived and
// pipelined connections. Every answer must carry its request's correlation id, in order; every
// 5,000 frames a kafkajs producer and consumer and kcat must get a round through while the fuzz
// goes on; afterwards the broker is alive, answers, holds a bounded amount of memory and stops on
// SIGTERM. FUZZ_SEED=<n> runs another seed; the seed and the figures are printed either way.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { BrokerProcess } from "../helpers/broker-process.ts";
import {
  brokerAnswers,
  errorLines,
  FUZZ_TOPICS,
  fuzzSeed,
  HealthyFlows,
  type PreparedCorpus,
  prepareCorpus,
  startFuzzBroker,
} from "../helpers/fuzz/fuzz-bed.ts";
import { requestVersions } from "../helpers/fuzz/generated-requests.ts";
import { type FuzzReport, runFuzz } from "../helpers/fuzz/wire-fuzzer.ts";
import { KCAT, locate, needs } from "../helpers/system-tools.ts";
import { waitFor } from "../helpers/wait.ts";
import { brokerPids, shutdownBroker, withBrokerLog } from "./helpers.ts";

const FRAMES = 25_000;
const CHECKPOINT_EVERY = 5_000;
const SENDERS = 8;
/** How long a connection waits for the broker's next byte: it may rightly hold a request (a long poll, a torn frame). */
const PATIENCE_MS = 250;
const PIPELINED_SHARE = 0.3;
const PIPELINE_DEPTH = 8;
/**
 * What the fuzz may add to the broker's resident memory, at its largest and after the run. The
 * topics and groups fuzzed requests create cost a few tens of MB here; a request that makes the
 * broker allocate what a length or count claims costs hundreds at once.
 */
const RSS_GROWTH_LIMIT_MB = 256;

describe("the wire fuzzer's CI slice", () => {
  const seed = fuzzSeed();
  const withKcat = locate(KCAT) !== undefined;
  let broker: BrokerProcess | undefined;
  let healthy: HealthyFlows | undefined;
  let prepared: PreparedCorpus | undefined;
  let report: FuzzReport | undefined;
  const reproduce = `seed ${seed} (FUZZ_SEED=${seed} runs it again)`;
  const running = (): BrokerProcess => {
    assert.ok(broker, "the broker has not started");
    return broker;
  };

  before(async () => {
    broker = await startFuzzBroker();
    prepared = await withBrokerLog(broker, () => prepareCorpus(running().address, seed, { kcat: withKcat }));
    healthy = await HealthyFlows.start(running().address, { kcat: withKcat });
  });

  after(async () => {
    await healthy?.stop();
    await shutdownBroker(broker);
  });

  it("when the corpus is prepared, then it holds frames of every API and version and a whole kafkajs session", (t) => {
    assert.ok(prepared);
    const { corpus, versions } = prepared;
    t.diagnostic(
      `${reproduce}; corpus: ${corpus.generated.length} generated frames over ${versions} API versions, ` +
        `${corpus.kafkajs.length} kafkajs, ${corpus.kcat.length} kcat, ${corpus.bombs.length} gzip bombs`,
    );
    assert.equal(versions, requestVersions().length);
    const generatedKeys = new Set(corpus.generated.map((frame) => frame.readInt16BE(0)));
    for (const { api } of requestVersions()) assert.ok(generatedKeys.has(api.apiKey), `api ${api.name} generated`);
    const kafkajsKeys = new Set(corpus.kafkajs.map((frame) => frame.readInt16BE(0)));
    // Produce, Fetch, ListOffsets, Metadata, OffsetCommit, OffsetFetch, FindCoordinator, JoinGroup,
    // SyncGroup, ApiVersions, CreateTopics, DeleteTopics, InitProducerId, CreatePartitions.
    for (const key of [0, 1, 2, 3, 8, 9, 10, 11, 14, 18, 19, 20, 22, 37]) assert.ok(kafkajsKeys.has(key), `api ${key}`);
  });

  it(
    "when kcat's session is recorded through the proxy, then its produce, fetch, group and metadata frames are in the corpus",
    ...needs(KCAT, () => {
      assert.ok(prepared);
      const kcatKeys = new Set(prepared.corpus.kcat.map((frame) => frame.readInt16BE(0)));
      // Produce, Fetch, ListOffsets, Metadata, OffsetCommit, FindCoordinator, JoinGroup, SyncGroup, ApiVersions.
      for (const key of [0, 1, 2, 3, 8, 10, 11, 14, 18]) assert.ok(kcatKeys.has(key), `api ${key}`);
    }),
  );

  it(`when ${FRAMES.toLocaleString("en")} fuzz frames arrive over short-lived and pipelined connections, then every answer is in order under its id, every healthy round passes, the broker logs no error and its memory stays bounded`, {
    timeout: 300_000,
  }, async (t) => {
    const address = running().address;
    assert.ok(prepared && healthy);
    const flows = healthy;
    report = await withBrokerLog(broker, () =>
      runFuzz(prepared!.corpus, {
        address,
        frames: FRAMES,
        seed,
        senders: SENDERS,
        patienceMs: PATIENCE_MS,
        pipelinedShare: PIPELINED_SHARE,
        pipelineDepth: PIPELINE_DEPTH,
        brokerPid: running().pid,
        checkpoint: (index) => flows.round(index),
        checkpointEvery: CHECKPOINT_EVERY,
      }),
    );
    const { rssMb, outcomes, checkpoints } = report;
    t.diagnostic(
      `${reproduce}: ${report.frames} frames in ${report.seconds.toFixed(1)} s (${report.framesPerSecond} frames/s) ` +
        `over ${report.connections} connections: ${JSON.stringify(outcomes)}, ${report.responses} answers; ` +
        `origins ${JSON.stringify(report.origins)} (${report.leftOut} left out); broker RSS ${rssMb.before} → max ${rssMb.max} → ${rssMb.after} MB; ` +
        `checkpoints ${checkpoints.passed}/${checkpoints.run} (kafkajs rounds ${flows.rounds.kafkajs}, kcat rounds ${flows.rounds.kcat}); ` +
        `violations ${report.violations.length}`,
    );
    assert.equal(report.brokerGone, false, `${reproduce}: the broker process died during the fuzz`);
    assert.deepEqual(report.violations, [], `${reproduce}: the broker broke the protocol`);
    assert.equal(outcomes.refused, 0, `${reproduce}: the broker stopped accepting connections`);
    assert.deepEqual(checkpoints.failures, [], `${reproduce}: a healthy round failed during the fuzz`);
    assert.equal(checkpoints.run, FRAMES / CHECKPOINT_EVERY);
    assert.deepEqual(errorLines(running().output()).slice(0, 5), [], `${reproduce}: the broker logged errors`);
    assert.ok(rssMb.before !== null && rssMb.max !== null && rssMb.after !== null, "the broker's memory was sampled");
    assert.ok(
      rssMb.max - rssMb.before <= RSS_GROWTH_LIMIT_MB && rssMb.after - rssMb.before <= RSS_GROWTH_LIMIT_MB,
      `${reproduce}: the broker's RSS went ${rssMb.before} → max ${rssMb.max} → ${rssMb.after} MB`,
    );
  });

  it(
    "when kcat is one of the healthy clients, then it produced and consumed a round at every checkpoint",
    ...needs(KCAT, () => {
      assert.ok(report && healthy);
      assert.equal(healthy.rounds.kcat, report.checkpoints.run);
    }),
  );

  it("when the fuzz is over, then the broker still answers ApiVersions and Metadata, naming the fuzz topics", async () => {
    const answers = await withBrokerLog(broker, () => brokerAnswers(running().address));
    assert.equal(answers.apiVersionsError, 0);
    for (const topic of FUZZ_TOPICS) assert.ok(answers.topics.includes(topic), `${topic} in ${answers.topics}`);
  });

  it("when SIGTERM comes, then the broker stops with exit code 0", async () => {
    await healthy?.stop();
    healthy = undefined;
    const stopping = running();
    const { dataDir } = stopping;
    let exitCode: number | null | undefined;
    void stopping.stop().then((code) => {
      exitCode = code;
    });
    try {
      await waitFor(() => exitCode !== undefined, { timeoutMs: 30_000, message: "the broker to exit after SIGTERM" });
    } finally {
      // A broker deaf to SIGTERM must not outlive the test.
      if (exitCode === undefined) for (const pid of brokerPids(dataDir)) process.kill(pid, "SIGKILL");
    }
    assert.equal(exitCode, 0, `${reproduce}: exit code after SIGTERM`);
  });
});
