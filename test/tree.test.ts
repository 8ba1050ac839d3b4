// The rule the README states for test/: every module of broker/, apps/, seed/ and bench/ (generated
// code aside) has its test at the same path, test/<path>.test.ts, unless it is listed below with why
// it has none and where its behaviour is tested. The list is for entry points, wiring and types,
// not for logic nobody tested; it is checked too, so it stays true: an exception that got its
// mirrored test, or whose module is gone, or that names a test file that is gone, fails here.
//
// A service's entry point, apps/<service>/main.ts (`npm run new:service` writes one), needs no
// listing: the tests of its service, under test/apps/<service>/, run it as a process.
import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const sourceRoots = ["broker", "apps", "seed", "bench"];
/** Generated code: regenerated, not written, so it is tested through what uses it. */
const generated = ["broker/protocol/messages", "broker/protocol/metadata-records/records", "apps/shared/db/generated"];

interface Exception {
  /** Why the module has no test of its own. */
  why: string;
  /** Test files that exercise its behaviour; none only for a module with no runtime code (checked). */
  testedBy: string[];
}

const consumerBehaviour = [
  "test/broker/client/consumer/delivery.test.ts",
  "test/broker/client/consumer/commits-and-positions.test.ts",
  "test/broker/client/consumer/controls-and-events.test.ts",
  "test/broker/client/consumer/standalone.test.ts",
];
const cli = "test/apps/shared/cli.test.ts";
const consoleHttp = "test/apps/console/server.test.ts";
const benchmark = "a benchmark suite: it measures and prints, it asserts nothing (`npm run bench -- --quick` runs it)";

const exceptions: Record<string, Exception> = {
  // Entry points: a command line around functions tested at their own paths.
  "apps/svc.ts": {
    why: "entry point of `npm run svc`, around Supervisor and services.ts",
    testedBy: ["test/apps/start.test.ts", cli],
  },
  "seed/scenarios/transaction-child.ts": {
    why: "the process scenario 21 kills mid-transaction: a few lines around our client's transaction API",
    testedBy: ["test/seed/scenarios/catalog/transactions.test.ts"],
  },
  "seed/seed.ts": {
    why: "entry point of `npm run seed`, around seedDemo",
    testedBy: ["test/seed/seed-demo.test.ts", cli],
  },
  "seed/lab/main.ts": {
    why: "entry point of `npm run lab`, around runLab",
    testedBy: ["test/seed/lab/lab.test.ts", cli],
  },
  "seed/lab/verify-main.ts": {
    why: "entry point of `npm run verify`, around verifyAgainstLedger",
    testedBy: ["test/seed/lab/verify-run.test.ts", cli],
  },
  "seed/migrate/main.ts": {
    why: "entry point of `npm run migrate-topic`, around migrateTopic and reportLines",
    testedBy: ["test/seed/migrate/migrate-topic.test.ts", "test/seed/migrate/report.test.ts", cli],
  },
  "seed/load/main.ts": {
    why: "entry point of `npm run load`, around the workload, the drivers and the verifier",
    testedBy: ["test/seed/load/workload.test.ts", "test/seed/load/drivers.test.ts", cli],
  },
  "bench/run.ts": { why: "entry point of `npm run bench`, runs the suites", testedBy: [cli] },
  "bench/broker-suite.ts": { why: benchmark, testedBy: ["test/bench/lib.test.ts"] },
  "bench/client-suite.ts": {
    why: benchmark,
    testedBy: ["test/bench/client-produce.test.ts", "test/bench/client-consume.test.ts"],
  },
  "bench/latency.ts": { why: benchmark, testedBy: ["test/bench/lib.test.ts"] },
  "bench/points.ts": { why: benchmark, testedBy: ["test/bench/lib.test.ts", "test/seed/load/drivers.test.ts"] },
  "bench/ledger.ts": {
    why: benchmark,
    testedBy: ["test/bench/lib.test.ts", "test/seed/load/drivers.test.ts", "test/apps/ledger/ledger-process.test.ts"],
  },
  "bench/pipeline-cost.ts": {
    why: benchmark,
    testedBy: ["test/seed/fault/processes.test.ts", "test/seed/load/drivers.test.ts", "test/bench/lib.test.ts"],
  },
  "bench/cluster-suite.ts": {
    why: benchmark,
    testedBy: ["test/bench/lib.test.ts", "test/acceptance/cluster-faults.test.ts"],
  },
  "bench/crashloop.ts": { why: benchmark, testedBy: ["test/seed/fault/ledger-crash-loop.test.ts"] },
  "bench/fuzz.ts": { why: benchmark, testedBy: ["test/acceptance/wire-fuzz.test.ts"] },
  "bench/platformatic-client.ts": {
    why: "the benchmarks' adapter for @platformatic/kafka",
    testedBy: ["test/bench/client-produce.test.ts", "test/bench/client-consume.test.ts"],
  },
  "bench/memory.ts": {
    why: benchmark,
    testedBy: ["test/broker/server/producer-snapshots.test.ts", "test/broker/storage/producer-snapshot-files.test.ts"],
  },
  "bench/soak.ts": {
    why: benchmark,
    testedBy: ["test/bench/soak-trend.test.ts", "test/seed/fault/processes.test.ts", "test/seed/load/drivers.test.ts"],
  },
  "bench/failover.ts": {
    why: benchmark,
    testedBy: ["test/seed/fault/processes.test.ts", "test/seed/fault/nemesis.test.ts"],
  },
  "seed/fault/fault-run.ts": {
    why: "wiring: one run of the fault test (topic, load, live reader, nemesis, read-back, checker, in order)",
    testedBy: ["test/acceptance/cluster-faults.test.ts", "test/seed/fault/checker.test.ts"],
  },

  // Wiring and constants.
  "broker/server/handlers/handler.ts": {
    why: "the handler contract (types) and defineHandler, which pairs an API with its function",
    testedBy: ["test/broker/server/handlers/index.test.ts", "test/broker/server/request-router.test.ts"],
  },
  "broker/client/admin/types.ts": {
    why: "kafkajs's admin types, and its constants, whose values are compared with kafkajs's",
    testedBy: ["test/broker/client/index.test.ts"],
  },
  "broker/server/config-alterations.ts": {
    why: "wiring shared by the AlterConfigs and IncrementalAlterConfigs handlers: to the controller, its errors on every resource",
    testedBy: [
      "test/broker/server/handlers/33-alter-configs.test.ts",
      "test/broker/server/handlers/44-incremental-alter-configs.test.ts",
    ],
  },
  "apps/shared/analytics-counters.ts": {
    why: "the counter names analytics writes and points-api reads",
    testedBy: ["test/apps/analytics/count-outcomes.test.ts", "test/apps/points-api/repositories/analytics.test.ts"],
  },

  // Types only: no runtime code, nothing to run.
  "broker/server/broker-state.ts": { why: "types only", testedBy: [] },
  "broker/server/admin/admin-types.ts": { why: "types only (the admin listener's JSON)", testedBy: [] },
  "seed/scenarios/scenario.ts": { why: "types only (what a scenario is)", testedBy: [] },
  "broker/server/groups/types.ts": { why: "types only", testedBy: [] },
  "broker/client/types.ts": { why: "types only", testedBy: [] },
  "broker/client/consumer/types.ts": { why: "types only", testedBy: [] },
  "broker/client/producer/types.ts": { why: "types only", testedBy: [] },

  // The consumer's and producer's public API, tested by behaviour in files of their own.
  "broker/client/consumer/index.ts": { why: "the consumer, tested by behaviour", testedBy: consumerBehaviour },
  "broker/client/consumer/runner.ts": {
    why: "one run of the consumer (consumer.run()), tested by behaviour",
    testedBy: consumerBehaviour,
  },
  "broker/client/producer/index.ts": {
    why: "the producer, tested by behaviour",
    testedBy: [
      "test/broker/client/producer/batching.test.ts",
      "test/broker/client/producer/lifecycle-and-events.test.ts",
      "test/broker/client/producer/read-back.test.ts",
      "test/broker/client/producer/send-errors.test.ts",
    ],
  },

  // The console (apps/console/): its HTTP surface is tested as the page uses it, against a real broker
  // process with its admin listener, in one file (starting a broker per module would cost minutes).
  "apps/console/app.ts": { why: "wiring: the express app of the routes", testedBy: [consoleHttp] },
  "apps/console/routes/read.ts": { why: "thin routes over the console's parts", testedBy: [consoleHttp] },
  "apps/console/admin-poller.ts": { why: "reads the brokers' admin listeners", testedBy: [consoleHttp] },
  "apps/console/sse-writer.ts": { why: "serves /api/events and /api/tail", testedBy: [consoleHttp] },
  "apps/console/partition-reader.ts": {
    why: "Fetch and ListOffsets on a real broker",
    testedBy: [consoleHttp, "test/apps/console/group-lag.test.ts"],
  },
  "apps/console/message-browser.ts": { why: "/api/messages by key and by offset", testedBy: [consoleHttp] },
  "apps/console/live-tail.ts": { why: "/api/tail on a real broker", testedBy: [consoleHttp] },
  "apps/console/faults.ts": {
    why: "the fault routes on real processes",
    testedBy: [consoleHttp, "test/apps/start.test.ts", "test/apps/supervisor.test.ts"],
  },
};

/** Every .ts module under the source roots, generated code aside, as repository paths. */
function sourceModules(): string[] {
  const modules: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const repoPath = relative(repoRoot, path).split("\\").join("/");
      if (generated.includes(repoPath)) continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) modules.push(repoPath);
    }
  };
  for (const root of sourceRoots) walk(join(repoRoot, root));
  return modules.sort();
}

const mirroredTest = (module: string): string => `test/${module.replace(/\.ts$/, ".test.ts")}`;
const exists = (repoPath: string): boolean => existsSync(join(repoRoot, repoPath));

/** apps/<service>/main.ts, run as a process by the tests under test/apps/<service>/. */
function serviceEntryPointTests(module: string): string[] | null {
  const service = /^apps\/([^/]+)\/main\.ts$/.exec(module)?.[1];
  if (service === undefined) return null;
  const dir = join(repoRoot, "test", "apps", service);
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith(".test.ts")) : [];
}

describe("test/ mirrors the source tree", () => {
  const modules = sourceModules();

  it("when a module has no exception, then it has its test at test/<same path>.test.ts", () => {
    const missing = modules.filter((module) => {
      if (exists(mirroredTest(module)) || module in exceptions) return false;
      const serviceTests = serviceEntryPointTests(module);
      return serviceTests === null || serviceTests.length === 0;
    });
    assert.deepEqual(
      missing.map((module) => `${module}: no ${mirroredTest(module)}`),
      [],
      "write the test, or (entry points, wiring, types only) list the module in test/tree.test.ts with why and where it is tested",
    );
  });

  it("when a module is an exception, then it still exists and still has no mirrored test", () => {
    const stale = Object.keys(exceptions).flatMap((module) => {
      if (!modules.includes(module)) return [`${module}: no such module any more`];
      if (exists(mirroredTest(module))) return [`${module}: has ${mirroredTest(module)} now`];
      return [];
    });
    assert.deepEqual(stale, [], "take these out of the exceptions in test/tree.test.ts");
  });

  it("when an exception names where it is tested, then those test files exist", () => {
    const gone = Object.entries(exceptions).flatMap(([module, { testedBy }]) =>
      testedBy.filter((test) => !exists(test)).map((test) => `${module}: ${test} does not exist`),
    );
    assert.deepEqual(gone, []);
  });

  it("when an exception is tested nowhere, then the module has no runtime code (types only)", async () => {
    const withCode: string[] = [];
    for (const [module, { testedBy }] of Object.entries(exceptions)) {
      if (testedBy.length > 0) continue;
      const exported = Object.keys(await tsImport(pathToFileURL(join(repoRoot, module)).href, import.meta.url));
      if (exported.length > 0) withCode.push(`${module} exports ${exported.join(", ")} at run time`);
    }
    assert.deepEqual(withCode, [], "a module with runtime code needs a test");
  });
});
