// The client suite: our client against kafkajs on one broker in one run, 100-byte keyless records.
// Produce: 1 and 16 partitions, sends of 1 message (64 in flight) and of 1,000 (8 in flight), acks
// -1; each client warms up on its producer first, and the timed run is sized from the warm-up's
// rate to last at least `minSeconds`. Consume: topics of 1 and 16 partitions filled through
// kafkajs in batches of 1,000 records; each client warms up on the first records, then a fresh
// group reads the whole topic, timed from its group join. Writes clients.json.
import { benchConsume, fillTopic } from "./client-consume.ts";
import { benchProduce } from "./client-produce.ts";
import {
  CLIENTS,
  type ClientName,
  int,
  printTable,
  type Rate,
  round,
  secondsSince,
  short,
  step,
  withBroker,
  writeResults,
} from "./lib.ts";

export interface ClientSuiteOptions {
  /** Smaller counts (--quick); recorded in the results. */
  quick: boolean;
  partitionCounts: number[];
  /** Messages per send, with the sends in flight for each. */
  sends: { batchSize: number; inFlight: number; minRecords: number }[];
  produceWarmUpMs: number;
  minSeconds: number;
  consumeRecords: number;
  consumeWarmUpRecords: number;
}

export const clientSuiteDefaults = (quick: boolean): ClientSuiteOptions => ({
  quick,
  partitionCounts: [1, 16],
  sends: [
    { batchSize: 1, inFlight: 64, minRecords: quick ? 5_000 : 20_000 },
    { batchSize: 1000, inFlight: 8, minRecords: quick ? 50_000 : 200_000 },
  ],
  produceWarmUpMs: quick ? 200 : 500,
  minSeconds: quick ? 0.3 : 1,
  consumeRecords: quick ? 200_000 : 4_000_000,
  consumeWarmUpRecords: quick ? 20_000 : 100_000,
});

const SUITE = "clients";
const RECORD_BYTES = 100;

type Measured = Rate & { records: number };

interface Row {
  operation: "produce" | "consume";
  partitions: number;
  batchSize?: number;
  inFlight?: number;
  kafkajs: Measured;
  ours: Measured;
  /** ours / kafkajs, records per second. */
  ratio: number;
}

const rowLabel = (row: Pick<Row, "operation" | "partitions" | "batchSize" | "inFlight">): string =>
  row.operation === "produce"
    ? `produce ${row.partitions}p batch ${row.batchSize} (${row.inFlight} in flight)`
    : `consume ${row.partitions}p`;

const summary = (r: Measured): string =>
  `${short(r.recordsPerSec)} rec/s (${int(r.records)} records, ${r.seconds.toFixed(2)} s)`;

function toRow(base: Omit<Row, "kafkajs" | "ours" | "ratio">, results: Record<ClientName, Measured>): Row {
  return {
    ...base,
    kafkajs: results.kafkajs,
    ours: results.ours,
    ratio: round(results.ours.recordsPerSec / results.kafkajs.recordsPerSec, 2),
  };
}

async function produceRows(address: string, options: ClientSuiteOptions): Promise<Row[]> {
  const rows: Row[] = [];
  for (const partitions of options.partitionCounts) {
    for (const { batchSize, inFlight, minRecords } of options.sends) {
      const results = {} as Record<ClientName, Measured>;
      for (const client of CLIENTS) {
        results[client] = await step(
          SUITE,
          `produce ${client} ${partitions}p batch ${batchSize}`,
          () =>
            benchProduce({
              address,
              client,
              partitions,
              batchSize,
              inFlight,
              records: minRecords,
              recordBytes: RECORD_BYTES,
              warmUpMs: options.produceWarmUpMs,
              minSeconds: options.minSeconds,
            }),
          summary,
        );
      }
      rows.push(toRow({ operation: "produce", partitions, batchSize, inFlight }, results));
    }
  }
  return rows;
}

async function consumeRows(address: string, options: ClientSuiteOptions): Promise<Row[]> {
  const rows: Row[] = [];
  for (const partitions of options.partitionCounts) {
    const topic = `bench-consume-${partitions}p-${Date.now()}`;
    const records = options.consumeRecords;
    await step(
      SUITE,
      `fill ${partitions}p topic with ${int(records)} records (kafkajs)`,
      async () => {
        const start = performance.now();
        await fillTopic(address, topic, partitions, records, RECORD_BYTES);
        return secondsSince(start);
      },
      (seconds) => `${seconds.toFixed(1)} s`,
    );
    const results = {} as Record<ClientName, Measured>;
    for (const client of CLIENTS) {
      results[client] = await step(
        SUITE,
        `consume ${client} ${partitions}p`,
        () =>
          benchConsume({
            address,
            client,
            topic,
            records,
            warmUpRecords: options.consumeWarmUpRecords,
          }),
        summary,
      );
    }
    rows.push(toRow({ operation: "consume", partitions }, results));
  }
  return rows;
}

export async function runClientSuite(options: ClientSuiteOptions): Promise<void> {
  const rows = await withBroker(SUITE, async (address) => [
    ...(await produceRows(address, options)),
    ...(await consumeRows(address, options)),
  ]);
  const file = writeResults("clients.json", {
    note: [
      `Our client (broker/client/kafka.ts) against kafkajs, both with default settings, on one broker process; ${RECORD_BYTES}-byte keyless records; MB = 10^6 bytes.`,
      `Produce: acks -1; each send() carries batchSize messages and inFlight sends are outstanding at a time (batch 1 uses more in flight to keep the pipe full); a ${options.produceWarmUpMs} ms warm-up on the same producer precedes the timed run, which is sized to last at least ${options.minSeconds} s at the warm-up's rate. Our producer gathers concurrent sends into one request per broker (linger 0); kafkajs sends each send() as its own request.`,
      `Consume: eachBatch in a new group from the beginning of a topic filled through kafkajs (record batches of 1,000), timed from the group join to the last record, after a ${int(options.consumeWarmUpRecords)}-record warm-up read in another group.`,
      "The broker and the benchmark share the machine's cores.",
    ],
    options,
    rows: rows.map((row) => ({ test: rowLabel(row), ...row })),
  });
  console.log();
  printTable(
    ["test", "kafkajs rec/s", "kafkajs MB/s", "ours rec/s", "ours MB/s", "ours/kafkajs"],
    rows.map((row) => [
      rowLabel(row),
      int(row.kafkajs.recordsPerSec),
      row.kafkajs.mbPerSec.toFixed(2),
      int(row.ours.recordsPerSec),
      row.ours.mbPerSec.toFixed(2),
      `${row.ratio.toFixed(2)}x`,
    ]),
  );
  console.log(`written to ${file}\n`);
}
