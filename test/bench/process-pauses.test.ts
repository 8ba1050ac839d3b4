// The pauses the latency suite reports: this process's GC seen through perf_hooks, and a broker's
// read from its /metrics text (served here by a real HTTP server with prom-client's names).
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { PerformanceObserver } from "node:perf_hooks";
import { it } from "node:test";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { watchBenchProcess, watchBroker } from "../../bench/process-pauses.ts";

it("when a garbage collection runs while watched, then it is counted as a pause of its kind", async () => {
  // A forced full collection: deterministic, where allocation-driven ones depend on the JIT.
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const watch = watchBenchProcess();
  // Entries reach observers after the collection, in one delivery: wait for ours to see it.
  const seen = new Promise<void>((resolve) => {
    const observer = new PerformanceObserver(() => {
      observer.disconnect();
      resolve();
    });
    observer.observe({ entryTypes: ["gc"] });
  });
  gc();
  await seen;
  await yieldToLoop();
  const pauses = watch.stop();
  assert.ok(pauses.gc.count > 0 && pauses.gc.major > 0, JSON.stringify(pauses.gc));
  assert.ok(pauses.gc.count >= pauses.gc.atLeast1Ms && pauses.gc.atLeast1Ms >= pauses.gc.atLeast10Ms);
  assert.ok(pauses.loopUtilization > 0 && pauses.loopUtilization <= 1);
});

it("when the broker's GC counters grow between two scrapes, then the pauses are the growth, sorted by its buckets", async () => {
  const scrapes = [
    { count: 10, sum: 0.02, le1ms: 8, le10ms: 10, p99: 0.011, max: 0.012 },
    { count: 16, sum: 0.05, le1ms: 11, le10ms: 15, p99: 0.013, max: 0.025 },
  ];
  let served = 0;
  const server = http.createServer((_, response) => {
    const s = scrapes[Math.min(served++, 1)]!;
    response.end(
      [
        `nodejs_eventloop_lag_p99_seconds ${s.p99}`,
        `nodejs_eventloop_lag_max_seconds ${s.max}`,
        `nodejs_gc_duration_seconds_bucket{le="0.001",kind="minor"} ${s.le1ms}`,
        `nodejs_gc_duration_seconds_bucket{le="0.01",kind="minor"} ${s.le10ms}`,
        `nodejs_gc_duration_seconds_sum{kind="minor"} ${s.sum}`,
        `nodejs_gc_duration_seconds_count{kind="minor"} ${s.count}`,
        "",
      ].join("\n"),
    );
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const { port } = server.address() as AddressInfo;
    const watch = await watchBroker(`http://127.0.0.1:${port}`);
    const pauses = await watch.stop();
    assert.deepEqual(pauses.gc, { count: 6, totalMs: 30, atLeast1Ms: 3, atLeast10Ms: 1 });
    assert.deepEqual(pauses.loopDelayMs, { p99: 3, max: 15 });
  } finally {
    server.close();
  }
});
