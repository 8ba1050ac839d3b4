// A service's metrics: the registry with the service label and Node's default metrics, METRICS_PORT,
// and the listener that serves them, scraped over real HTTP.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Counter } from "prom-client";
import {
  batchMetrics,
  createRegistry,
  metricsPortFrom,
  secondsHistogram,
  startMetricsServer,
} from "../../../apps/shared/metrics.ts";
import { sampleSum, scrape } from "../../helpers/prometheus.ts";

function recordingLog() {
  const lines: string[] = [];
  const record = (message: string) => {
    lines.push(message);
  };
  return { lines, info: record, warn: record, error: record };
}

describe("service metrics", () => {
  it("when METRICS_PORT is unset, then a free port is used; a number is that port, off is none, and anything else is refused", () => {
    assert.equal(metricsPortFrom({}), 0);
    assert.equal(metricsPortFrom({ METRICS_PORT: "" }), 0);
    assert.equal(metricsPortFrom({ METRICS_PORT: "9464" }), 9464);
    assert.equal(metricsPortFrom({ METRICS_PORT: "off" }), null);
    assert.throws(() => metricsPortFrom({ METRICS_PORT: "70000" }), /METRICS_PORT/);
    assert.throws(() => metricsPortFrom({ METRICS_PORT: "soon" }), /METRICS_PORT/);
  });

  it("when two metrics servers start on port 0, then each gets its own port, announces it, and serves its registry's counters as they move", async () => {
    const log = recordingLog();
    const [first, second] = [createRegistry("one"), createRegistry("two")];
    const counter = new Counter({ name: "points_test_things_total", help: "things", registers: [first] });
    const seconds = secondsHistogram(first, "points_test_seconds", "a duration", ["kind"]);
    const batches = batchMetrics(second);
    const [a, b] = [await startMetricsServer(first, 0, log), await startMetricsServer(second, 0, log)];
    try {
      assert.notEqual(a.url, b.url);
      assert.deepEqual(log.lines, [`metrics: ${a.url}`, `metrics: ${b.url}`]);
      assert.equal(sampleSum(await scrape(a.url), "points_test_things_total"), 0);
      counter.inc(3);
      seconds.observe({ kind: "x" }, 0.2);
      batches.batchRecords.observe({ topic: "t" }, 7);
      const samples = await scrape(a.url);
      assert.equal(sampleSum(samples, "points_test_things_total", { service: "one" }), 3);
      assert.equal(sampleSum(samples, "points_test_seconds_count", { kind: "x" }), 1);
      assert.ok(
        samples.some((s) => s.name === "process_cpu_user_seconds_total"),
        "Node's default metrics",
      );
      const other = await scrape(b.url);
      assert.equal(sampleSum(other, "points_consumer_batch_records_sum", { service: "two", topic: "t" }), 7);
      assert.equal(sampleSum(other, "points_test_things_total"), 0, "each registry its own");
      assert.equal((await fetch(a.url.replace("/metrics", "/other"))).status, 404);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("when no host is given, then it listens on 127.0.0.1 and warns of nothing; on 0.0.0.0 it logs that it listens beyond loopback", async () => {
    const log = recordingLog();
    const loopback = await startMetricsServer(createRegistry("one"), 0, log);
    try {
      assert.match(loopback.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      assert.deepEqual(log.lines, [`metrics: ${loopback.url}`]);
    } finally {
      await loopback.close();
    }
    const everywhere = await startMetricsServer(createRegistry("two"), 0, log, "0.0.0.0");
    try {
      const port = new URL(everywhere.url).port;
      assert.deepEqual(log.lines.slice(1), [
        `metrics: http://0.0.0.0:${port}/metrics`,
        `metrics listens on 0.0.0.0:${port}, beyond loopback: other machines can reach it (HOST=0.0.0.0)`,
      ]);
    } finally {
      await everywhere.close();
    }
  });
});
