// The broker wire fuzzer at length: a million frames (50,000 with --quick) of the fuzzer's mix
// (test/helpers/fuzz/; its 25,000-frame slice runs in CI as test/acceptance/wire-fuzz.test.ts)
// against a broker process, with a healthy kafkajs producer and consumer and kcat getting a round
// through every 50,000 frames (10,000 with --quick) while the fuzz goes on. Reports frames/s,
// connections by outcome, protocol violations, the broker's RSS before / at most / after, the
// healthy rounds, and whether the broker died, logged an error or failed to stop on SIGTERM; a run
// with any violation, failed round, crash, error or unclean stop fails.
import {
  brokerAnswers,
  errorLines,
  fuzzSeed,
  HealthyFlows,
  prepareCorpus,
  startFuzzBroker,
} from "../test/helpers/fuzz/fuzz-bed.ts";
import { type FuzzReport, runFuzz } from "../test/helpers/fuzz/wire-fuzzer.ts";
import { KCAT, locate } from "../test/helpers/system-tools.ts";
import { int, log, printTable, writeResults } from "./lib.ts";

export interface FuzzSuiteOptions {
  quick: boolean;
  frames: number;
  seed: number;
}

export const fuzzDefaults = (quick: boolean, frames?: number, seed?: number): FuzzSuiteOptions => ({
  quick,
  frames: frames ?? (quick ? 50_000 : 1_000_000),
  seed: seed ?? fuzzSeed(),
});

/** The CI slice's settings (test/acceptance/wire-fuzz.test.ts), so the figures compare. */
const SENDERS = 8;
const PATIENCE_MS = 250;
const PIPELINED_SHARE = 0.3;
const PIPELINE_DEPTH = 8;
/** Progress lines: one per this many seconds. */
const PROGRESS_EVERY_S = 15;

export async function runFuzzSuite(options: FuzzSuiteOptions): Promise<void> {
  const withKcat = locate(KCAT) !== undefined;
  const checkpointEvery = options.quick ? 10_000 : 50_000;
  log(
    "fuzz",
    `${int(options.frames)} frames, seed ${options.seed}, ${SENDERS} senders, healthy rounds every ${int(checkpointEvery)} frames` +
      (withKcat ? "" : " (kcat not found: kafkajs rounds only)"),
  );
  const broker = await startFuzzBroker();
  log("fuzz", `broker at ${broker.address} (pid ${broker.pid}, data in ${broker.dataDir})`);
  let healthy: HealthyFlows | undefined;
  try {
    const { corpus, versions } = await prepareCorpus(broker.address, options.seed, { kcat: withKcat });
    log(
      "fuzz",
      `corpus: ${corpus.generated.length} generated frames over ${versions} API versions, ` +
        `${corpus.kafkajs.length} recorded from kafkajs, ${corpus.kcat.length} from kcat, ${corpus.bombs.length} gzip bombs`,
    );
    const flows = await HealthyFlows.start(broker.address, { kcat: withKcat });
    healthy = flows;
    let lastProgress = 0;
    const report = await runFuzz(corpus, {
      address: broker.address,
      frames: options.frames,
      seed: options.seed,
      senders: SENDERS,
      patienceMs: PATIENCE_MS,
      pipelinedShare: PIPELINED_SHARE,
      pipelineDepth: PIPELINE_DEPTH,
      brokerPid: broker.pid,
      checkpoint: (index) => flows.round(index),
      checkpointEvery,
      onProgress: (progress) => {
        if (progress.seconds - lastProgress < PROGRESS_EVERY_S) return;
        lastProgress = progress.seconds;
        log("fuzz", progressLine(progress, options.frames));
      },
    });
    const alive = !report.brokerGone;
    const answers = alive
      ? await brokerAnswers(broker.address).then(
          () => "yes",
          (e: Error) => `no: ${e.message}`,
        )
      : "no";
    await flows.stop();
    healthy = undefined;
    const exitCode = alive ? await broker.stop() : null;
    const figures = {
      frames: report.frames,
      seconds: Math.round(report.seconds),
      framesPerSecond: report.framesPerSecond,
      connections: report.connections,
      outcomes: report.outcomes,
      responses: report.responses,
      violations: report.violations,
      rssMb: report.rssMb,
      checkpoints: { ...report.checkpoints, kafkajsRounds: flows.rounds.kafkajs, kcatRounds: flows.rounds.kcat },
      crashes: report.brokerGone ? 1 : 0,
      brokerErrors: errorLines(broker.output()).slice(0, 20),
      answersAfter: answers,
      exitCodeOnSigterm: exitCode,
      origins: report.origins,
      leftOut: report.leftOut,
    };
    console.log();
    const { outcomes, rssMb, checkpoints } = figures;
    printTable(
      ["wire fuzz", "value"],
      [
        ["frames (frames/s)", `${int(figures.frames)} (${int(figures.framesPerSecond)})`],
        ["frames left out (would create many partitions)", int(figures.leftOut)],
        [
          "connections: answered / closed / held / refused",
          `${int(figures.connections)}: ${int(outcomes.answered)} / ${int(outcomes.closed)} / ${int(outcomes.held)} / ${int(outcomes.refused)}`,
        ],
        ["answers", int(figures.responses)],
        ["protocol violations", int(figures.violations.length)],
        ["broker RSS before / max / after MB", `${rssMb.before} / ${rssMb.max} / ${rssMb.after}`],
        [
          "healthy rounds passed (kafkajs / kcat)",
          `${checkpoints.passed} of ${checkpoints.run} (${checkpoints.kafkajsRounds} / ${withKcat ? checkpoints.kcatRounds : "-"})`,
        ],
        ["broker crashes", int(figures.crashes)],
        ["broker log lines at level error", int(figures.brokerErrors.length)],
        ["answers ApiVersions and Metadata after", answers],
        ["exit code on SIGTERM", String(exitCode)],
        ["run seconds", int(figures.seconds)],
      ],
    );
    const file = writeResults("fuzz.json", {
      suite: "fuzz",
      quick: options.quick,
      settings: {
        seed: options.seed,
        senders: SENDERS,
        patienceMs: PATIENCE_MS,
        pipelinedShare: PIPELINED_SHARE,
        pipelineDepth: PIPELINE_DEPTH,
        checkpointEvery,
        kcat: withKcat,
      },
      ...figures,
    });
    log("fuzz", `results in ${file}`);
    const failures = [
      ...figures.violations.map((v) => `violation: ${v}`),
      ...checkpoints.failures.map((f) => `healthy round ${f}`),
      ...(figures.crashes > 0 ? ["the broker process died"] : []),
      ...figures.brokerErrors.map((line) => `broker error: ${line}`),
      ...(answers === "yes" ? [] : [`the broker did not answer after the run (${answers})`]),
      ...(exitCode === 0 ? [] : [`exit code ${exitCode} on SIGTERM`]),
    ];
    if (failures.length > 0)
      throw new Error(`wire fuzz (seed ${options.seed}): ${failures.length} failures:\n${failures.join("\n")}`);
  } catch (error) {
    console.error(`--- broker log (tail) ---\n${broker.output().split("\n").slice(-30).join("\n")}`);
    throw error;
  } finally {
    await healthy?.stop();
    await broker.cleanup();
  }
}

function progressLine(progress: FuzzReport, frames: number): string {
  const { outcomes, rssMb, checkpoints } = progress;
  return (
    `${int(progress.frames)} / ${int(frames)} frames, ${int(progress.framesPerSecond)} frames/s, ` +
    `connections ${int(outcomes.answered)} answered / ${int(outcomes.closed)} closed / ${int(outcomes.held)} held / ${int(outcomes.refused)} refused, ` +
    `violations ${progress.violations.length}, broker RSS ${rssMb.before} → ${rssMb.max} MB max, ` +
    `healthy rounds ${checkpoints.passed} of ${checkpoints.run}`
  );
}
