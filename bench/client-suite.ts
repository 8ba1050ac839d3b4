// The client suite: our client against kafkajs and @platformatic/kafka on one broker in one run.
// 100-byte keyless records: produce to 1 and 16 partitions, sends of 1 message (64 in flight) and
// of 1,000 (8 in flight), acks -1; consume 1 and 16 partitions. 1 KiB records: produce and consume
// 1 partition, sends of 1,000 (8 in flight), in MB/s next to the loopback limit measured in the same
// run (bench/loopback.ts). Each client warms up on its producer first, and the timed run is sized
// from the warm-up's rate to last at least `minSeconds`. Consume topics are filled through kafkajs
// in batches of 1,000 records; each client warms up on the first records, then a fresh group reads
// the whole topic, timed from its group join. CPU per record is the bench process's (the client's)
// and the broker's over each timed run. Writes clients.json.
import { benchConsume, fillTopic } from "./client-consume.ts";
import { benchProduce } from "./client-produce.ts";
import {
  ALL_CLIENTS,
  type ClientName,
  type CpuPerRecord,
  int,
  log,
  printTable,
  type Rate,
  round,
  secondsSince,
  short,
  step,
  withBroker,
  writeResults,
} from "./lib.ts";
import { measureLoopback } from "./loopback.ts";
import { platformaticVersion } from "./platformatic-client.ts";

export interface ClientSuiteOptions {
  /** Smaller counts (--quick); recorded in the results. */
  quick: boolean;
  /** Clients measured, baselines first; ratios are given against those present. */
  clients: readonly ClientName[];
  partitionCounts: number[];
  /** Messages per send, with the sends in flight for each. */
  sends: { batchSize: number; inFlight: number; minRecords: number }[];
  produceWarmUpMs: number;
  minSeconds: number;
  consumeRecords: number;
  consumeWarmUpRecords: number;
  /** The 1 KiB rows (1 partition); null for none. */
  kib: { batchSize: number; inFlight: number; minRecords: number; consumeRecords: number } | null;
  loopbackSeconds: number;
}

export const clientSuiteDefaults = (quick: boolean): ClientSuiteOptions => ({
  quick,
  clients: ALL_CLIENTS,
  partitionCounts: [1, 16],
  sends: [
    { batchSize: 1, inFlight: 64, minRecords: quick ? 5_000 : 20_000 },
    { batchSize: 1000, inFlight: 8, minRecords: quick ? 50_000 : 200_000 },
  ],
  produceWarmUpMs: quick ? 200 : 500,
  minSeconds: quick ? 0.3 : 1,
  consumeRecords: quick ? 200_000 : 4_000_000,
  consumeWarmUpRecords: quick ? 20_000 : 100_000,
  kib: { batchSize: 1000, inFlight: 8, minRecords: quick ? 20_000 : 100_000, consumeRecords: quick ? 50_000 : 400_000 },
  loopbackSeconds: quick ? 0.3 : 1,
});

const SUITE = "clients";
const RECORD_BYTES = 100;
const KIB = 1024;

type Measured = Rate & { records: number; cpu: CpuPerRecord };

interface RowKey {
  operation: "produce" | "consume";
  partitions: number;
  recordBytes: number;
  batchSize?: number;
  inFlight?: number;
}

type Row = RowKey & {
  results: Partial<Record<ClientName, Measured>>;
  /** ours / kafkajs and ours / platformatic, records per second. */
  ratios: { kafkajs?: number; platformatic?: number };
};

const rowLabel = (row: RowKey): string => {
  const size = row.recordBytes === KIB ? " 1KiB" : "";
  return row.operation === "produce"
    ? `produce${size} ${row.partitions}p batch ${row.batchSize} (${row.inFlight} in flight)`
    : `consume${size} ${row.partitions}p`;
};

const summary = (r: Measured): string =>
  `${short(r.recordsPerSec)} rec/s, ${r.mbPerSec.toFixed(1)} MB/s (${int(r.records)} records, ${r.seconds.toFixed(2)} s; ` +
  `CPU/record client ${r.cpu.clientUs} µs (${r.cpu.clientSystemUs} in the kernel), broker ${r.cpu.brokerUs ?? "?"} µs)`;

function toRow(key: RowKey, results: Partial<Record<ClientName, Measured>>): Row {
  const ours = results.ours?.recordsPerSec;
  const ratio = (baseline: Measured | undefined) =>
    ours === undefined || baseline === undefined ? undefined : round(ours / baseline.recordsPerSec, 2);
  return { ...key, results, ratios: { kafkajs: ratio(results.kafkajs), platformatic: ratio(results.platformatic) } };
}

interface Target {
  address: string;
  brokerPid: number | undefined;
}

/** The row's measurement, once per client of the run, in order. */
async function eachClient(
  options: ClientSuiteOptions,
  key: RowKey,
  measure: (client: ClientName) => Promise<Measured>,
): Promise<Row> {
  const results: Partial<Record<ClientName, Measured>> = {};
  for (const client of options.clients)
    results[client] = await step(SUITE, `${rowLabel(key)} ${client}`, () => measure(client), summary);
  return toRow(key, results);
}

function produceRow(target: Target, options: ClientSuiteOptions, key: RowKey, minRecords: number) {
  return eachClient(options, key, (client) =>
    benchProduce({
      ...target,
      client,
      partitions: key.partitions,
      batchSize: key.batchSize!,
      inFlight: key.inFlight,
      records: minRecords,
      recordBytes: key.recordBytes,
      warmUpMs: options.produceWarmUpMs,
      minSeconds: options.minSeconds,
    }),
  );
}

async function consumeRow(target: Target, options: ClientSuiteOptions, key: RowKey, records: number) {
  const topic = `bench-consume-${key.partitions}p-${key.recordBytes}b-${Date.now()}`;
  await step(
    SUITE,
    `fill ${key.partitions}p topic with ${int(records)} records of ${key.recordBytes} B (kafkajs)`,
    async () => {
      const start = performance.now();
      await fillTopic(target.address, topic, key.partitions, records, key.recordBytes);
      return secondsSince(start);
    },
    (seconds) => `${seconds.toFixed(1)} s`,
  );
  return eachClient(options, key, (client) =>
    benchConsume({
      ...target,
      client,
      topic,
      records,
      warmUpRecords: Math.min(options.consumeWarmUpRecords, records / 4),
    }),
  );
}

async function allRows(target: Target, options: ClientSuiteOptions): Promise<Row[]> {
  const rows: Row[] = [];
  for (const partitions of options.partitionCounts) {
    for (const { batchSize, inFlight, minRecords } of options.sends) {
      const key: RowKey = { operation: "produce", partitions, recordBytes: RECORD_BYTES, batchSize, inFlight };
      rows.push(await produceRow(target, options, key, minRecords));
    }
  }
  if (options.kib) {
    const { batchSize, inFlight, minRecords } = options.kib;
    const key: RowKey = { operation: "produce", partitions: 1, recordBytes: KIB, batchSize, inFlight };
    rows.push(await produceRow(target, options, key, minRecords));
  }
  for (const partitions of options.partitionCounts) {
    const key: RowKey = { operation: "consume", partitions, recordBytes: RECORD_BYTES };
    rows.push(await consumeRow(target, options, key, options.consumeRecords));
  }
  if (options.kib) {
    const key: RowKey = { operation: "consume", partitions: 1, recordBytes: KIB };
    rows.push(await consumeRow(target, options, key, options.kib.consumeRecords));
  }
  return rows;
}

const ratioText = (ratio: number | undefined): string => (ratio === undefined ? "-" : `${ratio.toFixed(2)}x`);

export async function runClientSuite(options: ClientSuiteOptions): Promise<void> {
  const loopback = await step(
    SUITE,
    `loopback limit (one process writing to another over 127.0.0.1, ${options.loopbackSeconds} s)`,
    () => measureLoopback(options.loopbackSeconds),
    (r) => `${r.mbPerSec.toFixed(0)} MB/s`,
  );
  const rows = await withBroker(SUITE, (address, brokerPid) => allRows({ address, brokerPid }, options));
  const file = writeResults("clients.json", {
    platformatic: platformaticVersion(),
    note: [
      `Our client (broker/client/kafka.ts) against kafkajs and @platformatic/kafka, each with its default settings but acks -1 and raw Buffer values, on one broker process; keyless records of ${RECORD_BYTES} bytes, or 1 KiB in the rows marked so; MB = 10^6 bytes of record values.`,
      `Produce rows: each send() carries batchSize messages and inFlight sends are outstanding at a time (batch 1 uses more in flight to keep the pipe full); a ${options.produceWarmUpMs} ms warm-up on the same producer precedes the timed run, which is sized to last at least ${options.minSeconds} s at the warm-up's rate; the broker's stored count is checked afterwards. Our producer gathers concurrent sends into one request per broker (linger 0); kafkajs and platformatic send each send() as its own request. None is idempotent (the default in all three).`,
      "Consume rows: a new group reads from the beginning a topic filled through kafkajs (record batches of 1,000), timed from the group join to the last record, after a warm-up read in another group. Ours and kafkajs through eachBatch; platformatic through its stream in 'earliest' mode, whose messages are handed to the same eachBatch counter once per tick; its group join is when consume() resolves.",
      "1 KiB rows: the same with 1,024-byte values and sends of 1,000 (one send is a 1.03 MB batch, under the broker's 1 MiB + 12 B message.max.bytes); MB/s is to compare with loopbackLimit, the rate one Node process pushes 1 MiB writes to another over a 127.0.0.1 TCP socket in the same run, read into one reused buffer, without Kafka (bench/loopback.ts).",
      "cpu: CPU µs per record over the timed run, clientUs of the bench process (the client, plus the bench's own loop; clientSystemUs of it in the kernel) and brokerUs of the broker process (/proc/<pid>/stat, 10 ms ticks). The broker and the benchmark share the machine's cores, so their sum bounds the rate: records/s ≤ cores × 10^6 / (clientUs + brokerUs).",
      "ratios: ours / kafkajs and ours / platformatic in records per second, in each row.",
    ],
    loopbackLimit: loopback,
    options,
    rows: rows.map((row) => ({ test: rowLabel(row), ...row })),
  });
  console.log();
  const present = options.clients;
  printTable(
    [
      "test",
      ...present.flatMap((client) => [`${client} rec/s`, `${client} MB/s`]),
      "ours cpu µs/rec client+broker",
      "ours/kafkajs",
      "ours/platformatic",
    ],
    rows.map((row) => [
      rowLabel(row),
      ...present.flatMap((client) => {
        const r = row.results[client];
        return r ? [int(r.recordsPerSec), r.mbPerSec.toFixed(1)] : ["-", "-"];
      }),
      row.results.ours ? `${row.results.ours.cpu.clientUs} + ${row.results.ours.cpu.brokerUs ?? "?"}` : "-",
      ratioText(row.ratios.kafkajs),
      ratioText(row.ratios.platformatic),
    ]),
  );
  log(SUITE, `loopback limit: ${loopback.mbPerSec.toFixed(0)} MB/s`);
  for (const row of rows.filter((r) => r.recordBytes === KIB)) {
    const shares = present
      .filter((client) => row.results[client])
      .map((client) => `${client} ${Math.round((100 * row.results[client]!.mbPerSec) / loopback.mbPerSec)}%`);
    log(SUITE, `${rowLabel(row)}: of the loopback limit, ${shares.join(", ")}`);
  }
  console.log(`written to ${file}\n`);
}
