// The fault test's load: keyed, idempotent, acks=all produces from our client and from kafkajs at
// once. Each client has its own keys; each key is a lane that sends one record at a time and the
// next only once the last was answered, so a key's records have an order the log must keep. Every
// value (`client/key/seq`) is sent once: a send that fails is not sent again by the lane (that
// would be a duplicate of our own making) but recorded as unacknowledged, and the lane goes on with
// its next seq. Retries are the client's, with the same batch and sequence number: the broker must
// deduplicate them across leader changes.
//
// A producer that fails a send is replaced by a new one (a new producer id), as an app would after
// an error that leaves an idempotent producer's sequence numbers in doubt.
//
// Our client sends all of its keys through one producer. kafkajs gets one producer per key: when a
// request of its idempotent producer fails (a timeout, a closed connection), kafkajs takes the
// request's sequence numbers back and gives them to the next send, although the broker may have
// stored the batch. With several sends in flight through one producer, another key's record then
// goes out under a stored batch's sequence number: the broker answers it as a duplicate of that
// batch (it is lost, yet acknowledged with the other record's offset), and the first record, retried
// under new numbers, is stored twice. With one send at a time, the retry is the record itself and
// the broker's deduplication answers it correctly.
//
// Ownership: a KeyedLoad owns its producers and the history it records (acknowledged records with
// the partition and offset the broker gave them, and unacknowledged sends).
import { Kafka as KafkaJS, logLevel as kafkajsLogLevel } from "kafkajs";
import { Kafka as OurKafka } from "../../broker/client/kafka.ts";
import type { AckedRecord, SentRecord } from "./checker.ts";
import { delay } from "./wait-until.ts";

export const loadClients = ["ours", "kafkajs"] as const;
export type LoadClient = (typeof loadClients)[number];

export interface KeyedLoadOptions {
  bootstrap: readonly string[];
  topic: string;
  clients: readonly LoadClient[];
  /** Keys (lanes) per client. */
  keysPerClient: number;
  /** How long the leader may wait for the ISR before answering an acks=all produce (default 5000). */
  ackTimeoutMs?: number;
  /** A request not answered within this is retried (default 8000). */
  requestTimeoutMs?: number;
}

export interface LoadHistory {
  acked: AckedRecord[];
  /** Sends that failed, or were still unanswered when the load stopped. */
  unacknowledged: SentRecord[];
  /** Failed sends by error name. */
  errors: Record<string, number>;
  /** Producers replaced after a failure, per client. */
  producersReplaced: Record<string, number>;
}

/** What a lane needs of either client's producer. */
interface LoadProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: {
    topic: string;
    acks: number;
    timeout: number;
    messages: { key: string; value: string }[];
  }): Promise<{ partition: number; baseOffset?: string }[]>;
}

/** A producer and the lanes sending through it. */
interface ClientState {
  client: LoadClient;
  producer: Promise<LoadProducer>;
  generation: number;
}

/** Retries as long as a fault may last, each after at most a second. */
const retry = { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 1000 };

export const keyOf = (client: LoadClient, index: number): string => `${client}-k${index}`;
export const recordValue = (key: string, seq: number): string => `${key}/${seq}`;

export class KeyedLoad {
  readonly #acked: AckedRecord[] = [];
  readonly #unacknowledged: SentRecord[] = [];
  readonly #errors: Record<string, number> = {};
  readonly #replaced: Record<string, number> = {};
  readonly #pending = new Map<string, SentRecord>();
  readonly #clients: ClientState[] = [];
  readonly #retired: Promise<LoadProducer>[] = [];
  #lanes: Promise<void>[] = [];
  #running = false;

  constructor(private readonly options: KeyedLoadOptions) {}

  /** Acknowledged records so far. */
  get ackedCount(): number {
    return this.#acked.length;
  }

  /** Acknowledged records so far, per client. */
  ackedBy(client: LoadClient): number {
    return this.#acked.filter((r) => r.client === client).length;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const client of this.options.clients) {
      const newState = (): ClientState => {
        const state: ClientState = { client, producer: this.#connectProducer(client), generation: 0 };
        this.#clients.push(state);
        return state;
      };
      const shared = client === "ours" ? newState() : null;
      for (let k = 0; k < this.options.keysPerClient; k++)
        this.#lanes.push(this.#lane(shared ?? newState(), keyOf(client, k)));
    }
  }

  /**
   * Stops starting sends, waits up to `drainMs` for those in flight, and returns the history; a
   * send still unanswered then counts as unacknowledged.
   */
  async stop(drainMs = 30_000): Promise<LoadHistory> {
    this.#running = false;
    await Promise.race([Promise.all(this.#lanes), delay(drainMs)]);
    const history: LoadHistory = {
      acked: [...this.#acked],
      unacknowledged: [...this.#unacknowledged, ...this.#pending.values()],
      errors: { ...this.#errors },
      producersReplaced: { ...this.#replaced },
    };
    const producers = [...this.#clients.map((c) => c.producer), ...this.#retired];
    await Promise.all(producers.map((p) => quietly(p.then((producer) => producer.disconnect()))));
    return history;
  }

  async #lane(state: ClientState, key: string): Promise<void> {
    const { topic, ackTimeoutMs = 5000 } = this.options;
    for (let seq = 0; this.#running; seq++) {
      const record: SentRecord = { client: state.client, key, seq, value: recordValue(key, seq) };
      const generation = state.generation;
      this.#pending.set(record.value, record);
      try {
        const producer = await state.producer;
        const [metadata] = await producer.send({
          topic,
          acks: -1,
          timeout: ackTimeoutMs,
          messages: [{ key, value: record.value }],
        });
        if (!metadata || metadata.baseOffset === undefined) throw new Error("send answered without an offset");
        this.#acked.push({ ...record, partition: metadata.partition, offset: BigInt(metadata.baseOffset) });
      } catch (error) {
        this.#unacknowledged.push(record);
        const name = error instanceof Error ? error.name : "Error";
        this.#errors[name] = (this.#errors[name] ?? 0) + 1;
        this.#replaceProducer(state, generation);
        // A producer that cannot connect at all must not make the lane spin.
        await delay(100);
      } finally {
        this.#pending.delete(record.value);
      }
    }
  }

  /** Once per failing generation: the client's next sends go through a new producer. */
  #replaceProducer(state: ClientState, failedGeneration: number): void {
    if (state.generation !== failedGeneration || !this.#running) return;
    state.generation++;
    this.#replaced[state.client] = (this.#replaced[state.client] ?? 0) + 1;
    this.#retired.push(state.producer);
    state.producer = this.#connectProducer(state.client);
  }

  async #connectProducer(client: LoadClient): Promise<LoadProducer> {
    const { bootstrap, requestTimeoutMs = 8000 } = this.options;
    const config = {
      brokers: [...bootstrap],
      clientId: `fault-load-${client}`,
      connectionTimeout: 1000,
      requestTimeout: requestTimeoutMs,
      retry,
    };
    const producer = (client === "kafkajs"
      ? new KafkaJS({ ...config, logLevel: kafkajsLogLevel.NOTHING }).producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          retry,
        })
      : new OurKafka({ ...config, logLevel: 0 }).producer({
          idempotent: true,
          allowAutoTopicCreation: false,
          retry,
        })) as unknown as LoadProducer;
    // Connecting is retried too: the broker it asks first may be the one just killed.
    for (;;) {
      try {
        await producer.connect();
        return producer;
      } catch (error) {
        if (!this.#running) throw error;
        await delay(200);
      }
    }
  }
}

async function quietly(promise: Promise<unknown>): Promise<void> {
  await Promise.race([promise.catch(() => undefined), delay(5000)]);
}
