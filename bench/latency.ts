// The latency suite: end-to-end latency at a fixed rate, per client, on one broker. A producer paced
// by a timer sends every `tickMs` the messages due by then (ratePerSec × elapsed, so a late tick
// catches up), in one send() per tick, not waiting for earlier sends; each 100-byte value starts
// with the send time (performance.now(), float64). A consumer in a new group on the same topic
// (eachMessage, default settings) takes latency = receive time − that send time. Messages sent in
// the first `warmUpSeconds` are left out; after `seconds` the producer stops and the consumer gets
// up to `drainMs` to receive the rest. Also taken over the measured window: each send's time to
// its acknowledgement (send → ack, acks=all), and what pauses the two processes' event loops (the
// benchmark's loop delay and GC pauses, the broker's from its /metrics; see process-pauses.ts),
// which bound the latency any client can reach here. Writes latency.json.
import {
  CLIENTS,
  type ClientName,
  createConsumer,
  createProducer,
  createTopic,
  int,
  percentile,
  printTable,
  recordValue,
  round,
  sleep,
  step,
  uniqueGroupId,
  withBroker,
  withTimeout,
  writeResults,
} from "./lib.ts";
import { type BenchProcessPauses, type BrokerPauses, watchBenchProcess, watchBroker } from "./process-pauses.ts";
import { pacedRawProduce } from "./raw-produce-floor.ts";
import { pacedRoundTripLatencyMs } from "./round-trip-floor.ts";

export interface LatencyOptions {
  /** Shorter run (--quick); recorded in the results. */
  quick: boolean;
  partitions: number;
  ratePerSec: number;
  tickMs: number;
  seconds: number;
  warmUpSeconds: number;
  drainMs: number;
}

export const latencyDefaults = (quick: boolean): LatencyOptions => ({
  quick,
  partitions: 6,
  ratePerSec: 10_000,
  tickMs: 10,
  seconds: quick ? 3 : 8,
  warmUpSeconds: 1,
  drainMs: 5000,
});

interface LatencyResult {
  client: ClientName;
  /** Over the whole run, warm-up included. */
  sent: number;
  received: number;
  sendErrors: number;
  /** Messages sent per second over the measured window (after the warm-up). */
  achievedRatePerSec: number;
  /** How late the latest producer tick ran against its schedule. */
  maxTickLateMs: number;
  /** Latencies taken: messages sent in the measured window and received. */
  count: number;
  ms: { p50: number; p95: number; p99: number; max: number; mean: number };
  /** send() → its promise resolved (acks=all), for sends in the measured window. */
  ackMs: { p50: number; p99: number; max: number };
  /** Over the measured window (warm-up to the last send). */
  benchProcess: BenchProcessPauses;
  broker: BrokerPauses | null;
}

const SUITE = "latency";
const RECORD_BYTES = 100;

type Summary = { p50: number; p99: number; max: number };

const summary = (values: ArrayLike<number>): Summary => {
  const sorted = Float64Array.from(values).sort();
  return {
    p50: round(percentile(sorted, 50), 2),
    p99: round(percentile(sorted, 99), 2),
    max: round(sorted[sorted.length - 1] ?? NaN, 2),
  };
};

/** What bounds the latency from below, measured in the same run at the same pace (ms unless said). */
interface LatencyFloors {
  /** A message to an echo process and back, one per tick, no Kafka (round-trip-floor.ts). */
  echoRoundTripMs: Summary;
  /** One tick's records as one Produce on a bare socket, acks=all, no client library (raw-produce-floor.ts). */
  rawProduceMs: Summary;
  rawProduceBrokerCpuUsPerRequest: number | null;
}

async function measure(
  address: string,
  adminUrl: string | null,
  client: ClientName,
  options: LatencyOptions,
): Promise<LatencyResult> {
  const { partitions, ratePerSec, tickMs, seconds, warmUpSeconds, drainMs } = options;
  const topic = `bench-latency-${client}-${Date.now()}`;
  await createTopic(address, topic, partitions);

  const latencies = new Float64Array(Math.ceil(ratePerSec * (seconds + 1)));
  let count = 0;
  let received = 0;
  let windowStart = Infinity;
  const consumer = createConsumer(client, address, { groupId: uniqueGroupId(`bench-latency-${client}`) });
  let failure: Error | undefined;
  const joined = new Promise<void>((resolve) => consumer.on("consumer.group_join", () => resolve()));
  consumer.on("consumer.crash", (event) => {
    failure = event.payload.error;
  });
  const producer = createProducer(client, address);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const now = performance.now();
        received++;
        const sentAt = message.value!.readDoubleLE(0);
        if (sentAt >= windowStart && count < latencies.length) latencies[count++] = now - sentAt;
      },
    });
    await withTimeout(joined, 30_000, `${client}: no group join within 30 s`);
    await producer.connect();

    // The producer: one send per tick of the messages due by then. The achieved rate is taken
    // between the last tick before the window and the last tick, from the messages due at each.
    const template = recordValue(RECORD_BYTES);
    const pending = new Set<Promise<unknown>>();
    let sent = 0;
    let sendErrors = 0;
    let maxTickLateMs = 0;
    const start = performance.now();
    windowStart = start + warmUpSeconds * 1000;
    const end = start + seconds * 1000;
    const window = { fromAt: start, fromSent: 0, toAt: start, toSent: 0 };
    const acks: number[] = [];
    let benchWatch: ReturnType<typeof watchBenchProcess> | undefined;
    let brokerWatch: Awaited<ReturnType<typeof watchBroker>> | undefined;
    for (let tick = 0; ; tick++) {
      const target = start + tick * tickMs;
      await sleep(Math.max(0, target - performance.now()));
      if (!benchWatch && performance.now() >= windowStart) {
        benchWatch = watchBenchProcess();
        brokerWatch = adminUrl === null ? undefined : await watchBroker(adminUrl);
      }
      const now = performance.now();
      if (now >= end) break;
      maxTickLateMs = Math.max(maxTickLateMs, now - target);
      const due = Math.floor(((now - start) / 1000) * ratePerSec) - sent;
      if (due > 0) {
        const values = Buffer.allocUnsafe(due * RECORD_BYTES);
        const messages = Array.from({ length: due }, (_, i) => {
          const value = values.subarray(i * RECORD_BYTES, (i + 1) * RECORD_BYTES);
          template.copy(value);
          return { value };
        });
        const sentAt = performance.now();
        for (const { value } of messages) value.writeDoubleLE(sentAt, 0);
        const send = producer.send({ topic, messages }).then(
          () => {
            if (sentAt >= windowStart) acks.push(performance.now() - sentAt);
          },
          () => {
            sendErrors++;
          },
        );
        pending.add(send);
        void send.finally(() => pending.delete(send));
        sent += due;
      }
      if (now < windowStart) Object.assign(window, { fromAt: now, fromSent: sent });
      else Object.assign(window, { toAt: now, toSent: sent });
    }
    const benchProcess = benchWatch!.stop();
    const broker = (await brokerWatch?.stop()) ?? null;
    await Promise.all(pending);
    const drainUntil = performance.now() + drainMs;
    while (received < sent && performance.now() < drainUntil && !failure) await sleep(10);
    if (failure) throw failure;

    const sorted = latencies.subarray(0, count).sort();
    const mean = sorted.reduce((sum, v) => sum + v, 0) / count;
    return {
      client,
      sent,
      received,
      sendErrors,
      achievedRatePerSec: Math.round((window.toSent - window.fromSent) / ((window.toAt - window.fromAt) / 1000)),
      maxTickLateMs: round(maxTickLateMs, 2),
      count,
      ms: {
        p50: round(percentile(sorted, 50), 2),
        p95: round(percentile(sorted, 95), 2),
        p99: round(percentile(sorted, 99), 2),
        max: round(sorted[count - 1] ?? NaN, 2),
        mean: round(mean, 2),
      },
      ackMs: summary(acks),
      benchProcess,
      broker,
    };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await consumer.disconnect().catch(() => undefined);
  }
}

export async function runLatencySuite(options: LatencyOptions): Promise<void> {
  const { partitions, ratePerSec, tickMs, seconds } = options;
  const results: LatencyResult[] = [];
  let rawProduce: Awaited<ReturnType<typeof pacedRawProduce>> | undefined;
  // The admin listener gives the broker's loop lag and GC pauses (its /metrics).
  await withBroker(
    SUITE,
    async (address, pid, adminUrl) => {
      for (const client of CLIENTS) {
        results.push(
          await step(
            SUITE,
            `${client} ${partitions}p ${int(ratePerSec)} msg/s for ${seconds} s`,
            () => measure(address, adminUrl, client, options),
            (r) =>
              `p50 ${r.ms.p50} ms, p99 ${r.ms.p99} ms (${int(r.achievedRatePerSec)} msg/s, ${int(r.count)} measured, ${int(r.received)}/${int(r.sent)} received)`,
          ),
        );
      }
      const topic = `bench-latency-raw-${Date.now()}`;
      await createTopic(address, topic, partitions);
      rawProduce = await step(
        SUITE,
        `floor: a raw Produce of ${int((ratePerSec * tickMs) / 1000)} records every ${tickMs} ms for ${seconds} s`,
        () =>
          pacedRawProduce({
            address,
            brokerPid: pid,
            topic,
            partitions,
            recordsPerRequest: Math.round((ratePerSec * tickMs) / 1000),
            recordBytes: RECORD_BYTES,
            tickMs,
            seconds,
          }),
        (r) => `p50 ${summary(r.times).p50} ms, p99 ${summary(r.times).p99} ms`,
      );
    },
    { adminPort: 0 },
  );
  const echoTimes = await step(
    SUITE,
    `floor: an echo between two processes every ${tickMs} ms for ${seconds} s`,
    () => pacedRoundTripLatencyMs({ tickMs, seconds, bytes: RECORD_BYTES }),
    (times) => `p50 ${summary(times).p50} ms, p99 ${summary(times).p99} ms`,
  );
  const floors: LatencyFloors = {
    echoRoundTripMs: summary(echoTimes),
    rawProduceMs: summary(rawProduce!.times),
    rawProduceBrokerCpuUsPerRequest:
      rawProduce!.brokerCpuUsPerRequest === null ? null : round(rawProduce!.brokerCpuUsPerRequest, 0),
  };
  const file = writeResults("latency.json", {
    note: [
      `End-to-end latency, ms: receive time (eachMessage) minus the send time carried in each ${RECORD_BYTES}-byte value; producer and consumer in one process, both clients with default settings (acks -1; consumer minBytes 1, maxWaitTimeInMs 5000), ${partitions} partitions.`,
      `The producer sends every ${tickMs} ms the messages due at ${int(ratePerSec)}/s, one send() per tick, without waiting for earlier sends. Messages sent in the first ${options.warmUpSeconds} s are left out (warm-up); count = latencies taken; achievedRatePerSec = sent per second after the warm-up.`,
      "The broker and the benchmark share the machine's cores.",
      `floors, measured after the clients at the same pace: echoRoundTripMs, a ${RECORD_BYTES}-byte message to an echo process and back every ${tickMs} ms, no Kafka (both ends sleep and are woken, as every hop of a message here); rawProduceMs, one tick's records as one Produce v7 (acks=all, one batch per partition) written on a bare socket to the same broker, no client library, with the broker's CPU per such request. A client's latency cannot go below the echo, nor its send → ack below the raw Produce.`,
      "ackMs: send() to its acknowledgement (acks=all). benchProcess: the benchmark process over the measured window — loopDelayMs how late its loop ran a 1 ms timer (the 1 ms taken off), loopUtilization its busy share, gc its GC pauses (count, total, max, how many of at least 1 and 10 ms, minor/major). broker: the broker's own, from its /metrics (loop lag sampled every 10 ms, the 10 ms taken off; GC pauses counted by histogram bucket). A pause in either process delays every message crossing it: these bound the p99 any client can reach here.",
    ],
    options,
    results,
    floors,
  });
  console.log();
  printTable(
    [
      "client",
      "msg/s",
      "measured",
      "p50 ms",
      "p95 ms",
      "p99 ms",
      "max ms",
      "ack p99",
      "loop p99/max",
      "GC ≥1ms",
      "broker loop p99/max",
      "broker GC ≥1ms",
    ],
    results.map((r) => [
      r.client,
      int(r.achievedRatePerSec),
      int(r.count),
      r.ms.p50.toFixed(2),
      r.ms.p95.toFixed(2),
      r.ms.p99.toFixed(2),
      r.ms.max.toFixed(2),
      r.ackMs.p99.toFixed(2),
      `${r.benchProcess.loopDelayMs.p99}/${r.benchProcess.loopDelayMs.max}`,
      `${r.benchProcess.gc.atLeast1Ms} (max ${r.benchProcess.gc.maxMs})`,
      r.broker ? `${r.broker.loopDelayMs.p99}/${r.broker.loopDelayMs.max}` : "-",
      r.broker ? String(r.broker.gc.atLeast1Ms) : "-",
    ]),
  );
  const { echoRoundTripMs: echo, rawProduceMs: raw } = floors;
  console.log(
    `\nfloors at one message every ${tickMs} ms: echo between two processes p50 ${echo.p50} / p99 ${echo.p99} / max ${echo.max} ms; ` +
      `raw Produce (no client) p50 ${raw.p50} / p99 ${raw.p99} / max ${raw.max} ms, broker CPU ${floors.rawProduceBrokerCpuUsPerRequest ?? "-"} µs per request`,
  );
  console.log(`written to ${file}\n`);
}
