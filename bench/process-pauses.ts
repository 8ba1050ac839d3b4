// What stops a process from running its event loop during a measured window: the benchmark
// process's own loop delay (monitorEventLoopDelay) and GC pauses (PerformanceObserver "gc"), and
// the broker's from its /metrics (prom-client's process metrics: loop lag at a 10 ms resolution,
// GC pauses counted by duration bucket). A latency target below these pauses cannot be met by any
// client: they are the floor the latency suite reports next to its percentiles.
import {
  constants,
  type EventLoopUtilization,
  monitorEventLoopDelay,
  PerformanceObserver,
  performance,
} from "node:perf_hooks";
import { round } from "./lib.ts";

export interface GcPauses {
  count: number;
  totalMs: number;
  maxMs: number;
  /** Pauses of at least 1 ms, and of at least 10 ms (for the broker: from its histogram's buckets). */
  atLeast1Ms: number;
  atLeast10Ms: number;
}

export interface BenchProcessPauses {
  /** How late the loop ran a 1 ms timer, ms (the timer's own 1 ms taken off). */
  loopDelayMs: { p50: number; p99: number; max: number };
  /** Share of the window the loop was busy (not waiting for I/O or timers). */
  loopUtilization: number;
  gc: GcPauses & { minor: number; major: number };
}

export interface BrokerPauses {
  /** prom-client's loop lag over the window, ms, its 10 ms sampling timer taken off. */
  loopDelayMs: { p99: number; max: number };
  gc: Omit<GcPauses, "maxMs">;
}

const RESOLUTION_MS = 1;

/** Starts measuring this process; stop() gives the figures since start. */
export function watchBenchProcess(): { stop(): BenchProcessPauses } {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const pauses: { ms: number; kind: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as { detail?: { kind?: number } }).detail;
      pauses.push({ ms: entry.duration, kind: detail?.kind ?? 0 });
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  const utilizationAtStart: EventLoopUtilization = performance.eventLoopUtilization();
  delay.enable();
  return {
    stop() {
      delay.disable();
      observer.disconnect();
      const late = (ns: number): number => round(Math.max(0, ns / 1e6 - RESOLUTION_MS), 2);
      const durations = pauses.map((p) => p.ms);
      return {
        loopDelayMs: { p50: late(delay.percentile(50)), p99: late(delay.percentile(99)), max: late(delay.max) },
        loopUtilization: round(performance.eventLoopUtilization(utilizationAtStart).utilization, 3),
        gc: {
          ...summarize(durations),
          minor: pauses.filter((p) => p.kind === constants.NODE_PERFORMANCE_GC_MINOR).length,
          major: pauses.filter((p) => p.kind === constants.NODE_PERFORMANCE_GC_MAJOR).length,
        },
      };
    },
  };
}

function summarize(durations: number[]): GcPauses {
  return {
    count: durations.length,
    totalMs: round(
      durations.reduce((sum, ms) => sum + ms, 0),
      2,
    ),
    maxMs: round(Math.max(0, ...durations), 2),
    atLeast1Ms: durations.filter((ms) => ms >= 1).length,
    atLeast10Ms: durations.filter((ms) => ms >= 10).length,
  };
}

/** The broker's process metrics now, as /metrics gives them (prom-client's default metrics). */
async function scrape(adminUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("nodejs_eventloop_lag_") && !line.startsWith("nodejs_gc_duration_seconds")) continue;
    const space = line.lastIndexOf(" ");
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

/**
 * Starts measuring the broker behind `adminUrl`: the first scrape resets its loop-lag histogram
 * (prom-client resets it at every scrape), and its GC counters are taken as they stand.
 */
export async function watchBroker(adminUrl: string): Promise<{ stop(): Promise<BrokerPauses> }> {
  const before = await scrape(adminUrl);
  return {
    async stop() {
      const after = await scrape(adminUrl);
      const grown = (pattern: RegExp): number => {
        let sum = 0;
        for (const [name, value] of after) if (pattern.test(name)) sum += value - (before.get(name) ?? 0);
        return sum;
      };
      const count = grown(/^nodejs_gc_duration_seconds_count/);
      const lagMs = (name: string): number => round(Math.max(0, (after.get(name) ?? 0) * 1000 - 10), 2);
      return {
        loopDelayMs: { p99: lagMs("nodejs_eventloop_lag_p99_seconds"), max: lagMs("nodejs_eventloop_lag_max_seconds") },
        gc: {
          count,
          totalMs: round(grown(/^nodejs_gc_duration_seconds_sum/) * 1000, 2),
          atLeast1Ms: count - grown(/^nodejs_gc_duration_seconds_bucket\{.*le="0\.001"/),
          atLeast10Ms: count - grown(/^nodejs_gc_duration_seconds_bucket\{.*le="0\.01"/),
        },
      };
    },
  };
}
