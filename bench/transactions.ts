// Transactional produce against idempotent produce, per client (ours and kafkajs) on one broker
// process: 100-byte records to a 1-partition topic in sends of `sendSize`, one send at a time (a
// transactional producer has one request in flight, so the idempotent baseline does too), acks=all.
// A transaction adds round trips to its sends (AddPartitionsToTxn before the first send to a
// partition, EndTxn at the end, FindCoordinator and InitProducerId once) and a marker per partition,
// so the rows are: idempotent; one transaction per send; `sendsPerTransaction` sends per
// transaction. The broker's count of stored records (markers included) is checked after each row.
import { createKafka } from "../broker/client/factory.ts";
import { logLevel } from "../broker/client/index.ts";
import {
  type CpuPerRecord,
  cpuPerRecord,
  cpuSample,
  createTopic,
  log,
  printTable,
  recordValue,
  round,
  secondsSince,
  short,
  topicRecords,
  withBroker,
  writeResults,
} from "./lib.ts";

const SUITE = "transactions";
const clients = ["ours", "kafkajs"] as const;

export interface TransactionsSuiteOptions {
  records: number;
  sendSize: number;
  sendsPerTransaction: number;
  quick: boolean;
}

export function transactionsDefaults(quick: boolean): TransactionsSuiteOptions {
  return { records: quick ? 20_000 : 200_000, sendSize: 1_000, sendsPerTransaction: 10, quick };
}

/** How records are sent: idempotent (no transaction), or in transactions of this many sends. */
export type ProduceMode = { kind: "idempotent" } | { kind: "transactional"; sendsPerTransaction: number };

export interface TransactionsRow {
  client: (typeof clients)[number];
  mode: string;
  records: number;
  transactions: number;
  recordsPerSec: number;
  transactionsPerSec: number;
  cpu: CpuPerRecord;
}

export function modeName(mode: ProduceMode): string {
  return mode.kind === "idempotent" ? "idempotent" : `transactional, ${mode.sendsPerTransaction} send(s)/txn`;
}

/** Produces `records` to a new topic in `mode`; returns the rate and the stored record count (markers included). */
export async function produceIn(
  address: string,
  client: (typeof clients)[number],
  mode: ProduceMode,
  records: number,
  sendSize: number,
  brokerPid: number | undefined,
): Promise<{ row: TransactionsRow; stored: number }> {
  const topic = `bench-tx-${client}-${mode.kind}-${Date.now()}`;
  await createTopic(address, topic, 1);
  const kafka = await withClient(client, () =>
    createKafka({ clientId: `bench-${client}`, brokers: [address], logLevel: logLevel.NOTHING }),
  );
  const producer =
    mode.kind === "idempotent"
      ? kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
      : kafka.producer({ transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const value = recordValue(100);
  const messages = Array.from({ length: sendSize }, () => ({ value }));
  const sends = Math.ceil(records / sendSize);
  try {
    const start = performance.now();
    const before = cpuSample(brokerPid);
    let transactions = 0;
    if (mode.kind === "idempotent") {
      for (let i = 0; i < sends; i++) await producer.send({ topic, acks: -1, messages });
    } else {
      for (let i = 0; i < sends; i += mode.sendsPerTransaction) {
        const transaction = await producer.transaction();
        for (let j = i; j < Math.min(sends, i + mode.sendsPerTransaction); j++)
          await transaction.send({ topic, acks: -1, messages });
        await transaction.commit();
        transactions++;
      }
    }
    const seconds = secondsSince(start);
    const sent = sends * sendSize;
    const cpu = cpuPerRecord(before, cpuSample(brokerPid), sent);
    const stored = await topicRecords(address, topic);
    return {
      row: {
        client,
        mode: modeName(mode),
        records: sent,
        transactions,
        recordsPerSec: Math.round(sent / seconds),
        transactionsPerSec: round(transactions / seconds, 1),
        cpu,
      },
      stored,
    };
  } finally {
    await producer.disconnect();
  }
}

export async function runTransactionsSuite(options: TransactionsSuiteOptions): Promise<TransactionsRow[]> {
  const modes: ProduceMode[] = [
    { kind: "idempotent" },
    { kind: "transactional", sendsPerTransaction: 1 },
    { kind: "transactional", sendsPerTransaction: options.sendsPerTransaction },
  ];
  const rows = await withBroker(SUITE, async (address, pid) => {
    const out: TransactionsRow[] = [];
    for (const client of clients) {
      // A warm-up, not reported: the first row would otherwise pay for the JIT and the connections.
      await produceIn(
        address,
        client,
        { kind: "transactional", sendsPerTransaction: 1 },
        options.records / 10,
        options.sendSize,
        pid,
      );
      for (const mode of modes) {
        const { row, stored } = await produceIn(address, client, mode, options.records, options.sendSize, pid);
        // Each committed transaction adds its marker to the partition.
        if (stored !== row.records + row.transactions)
          throw new Error(`${client} ${row.mode}: ${stored} stored, expected ${row.records + row.transactions}`);
        log(
          SUITE,
          `${client} ${row.mode}: ${short(row.recordsPerSec)} records/s, ${row.transactionsPerSec} transactions/s`,
        );
        out.push(row);
      }
    }
    return out;
  });
  printTable(
    ["client", "mode", "records/s", "transactions/s", "client µs/rec", "broker µs/rec"],
    rows.map((r) => [
      r.client,
      r.mode,
      short(r.recordsPerSec),
      String(r.transactionsPerSec),
      String(r.cpu.clientUs),
      String(r.cpu.brokerUs ?? "-"),
    ]),
  );
  writeResults("transactions.json", {
    suite: SUITE,
    quick: options.quick,
    measuredAt: new Date().toISOString(),
    options,
    rows,
  });
  return rows;
}

/** Runs `fn` with KAFKA_CLIENT naming `client`, as the app-facing factory reads it at call time. */
async function withClient<T>(client: (typeof clients)[number], fn: () => Promise<T>): Promise<T> {
  const saved = process.env.KAFKA_CLIENT;
  process.env.KAFKA_CLIENT = client;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.KAFKA_CLIENT;
    else process.env.KAFKA_CLIENT = saved;
  }
}
