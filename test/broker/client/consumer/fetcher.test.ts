// The fetcher against a real broker, with a stand-in for the runner's delivery that records the
// batches and can hold one: the ordering guarantee (a loop hands over a fetch only once its
// previous fetch is processed, each batch starting where the last ended) and the dropping of a
// prefetched answer whose partition has moved on are seen directly.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Cluster } from "../../../../broker/client/cluster.ts";
import { Fetcher, type PendingBatch } from "../../../../broker/client/consumer/fetcher.ts";
import { OffsetManager } from "../../../../broker/client/consumer/offset-manager.ts";
import { createPartitionState, PauseState, partitionKey } from "../../../../broker/client/consumer/partition-state.ts";
import { Session } from "../../../../broker/client/consumer/session.ts";
import { consumerEvents } from "../../../../broker/client/events.ts";
import { InstrumentationEmitter } from "../../../../broker/client/instrumentation.ts";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ourCluster, silentLogger } from "../helpers.ts";
import { useConsumerSuite, waitFor } from "./helpers.ts";

const suite = useConsumerSuite();

/** A topic of one partition holding `count` batches of one record each. */
async function topicOfBatches(topic: string, count: number): Promise<void> {
  await suite.rig().createTopic(topic, 1);
  for (let i = 0; i < count; i++) await suite.rig().producer.send({ topic, messages: [{ value: `m${i}` }] });
}

interface Rig {
  fetcher: Fetcher;
  session: Session;
  seeks: Map<string, { topic: string; partition: number; offset: bigint }>;
  /** Offsets handed over, in order. */
  delivered: bigint[];
  /** How many deliveries ran at once, at the most. */
  mostAtOnce(): number;
  /** Fetch answers the broker has sent back so far. */
  fetchAnswers(): number;
  /** Fetch requests sent so far. */
  fetchRequests(): number;
  /** Holds the first delivery until released. */
  releaseFirst(): void;
  deliveries(): number;
}

async function fetcherFor(topic: string, stopAfter: number): Promise<Rig> {
  const cluster: Cluster = ourCluster(suite.broker().address, { clientId: "fetcher-test" });
  suite.track({ disconnect: async () => cluster.disconnect() });
  await cluster.connect();
  await cluster.addTargetTopics([topic]);
  const connection = await cluster.connectionTo(cluster.topicMetadata(topic).partitions[0]!.leader);
  let fetchAnswers = 0;
  let fetchRequests = 0;
  const request = connection.request.bind(connection) as typeof connection.request;
  connection.request = (async (api: { apiKey: number }, ...rest: unknown[]) => {
    if (api.apiKey === Apis.Fetch.apiKey) fetchRequests++;
    const response = await (request as (...args: unknown[]) => Promise<unknown>)(api, ...rest);
    if (api.apiKey === Apis.Fetch.apiKey) fetchAnswers++;
    return response;
  }) as typeof connection.request;

  const state = createPartitionState(topic, 0, true);
  const session = new Session({ generationId: -1, memberId: "" }, new Map([[state.key, state]]), new Map());
  const seeks = new Map<string, { topic: string; partition: number; offset: bigint }>();
  const delivered: bigint[] = [];
  let atOnce = 0;
  let mostAtOnce = 0;
  let deliveries = 0;
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((resolve) => {
    releaseFirst = resolve;
  });
  const offsetManager = new OffsetManager({
    store: null,
    logger: silentLogger,
    groupId: "",
    inGroup: false,
    autoCommit: false,
    autoCommitInterval: null,
    autoCommitThreshold: null,
    endSession: () => undefined,
  });
  const fetcher: Fetcher = new Fetcher({
    cluster,
    logger: silentLogger,
    emitter: new InstrumentationEmitter(consumerEvents, "consumer", silentLogger),
    groupId: "",
    pauses: new PauseState(),
    seeks,
    // One batch per answer: each fetch hands over a single batch.
    fetch: {
      maxWaitTimeInMs: 100,
      minBytes: 1,
      maxBytes: 10_000_000,
      maxBytesPerPartition: 1,
      readUncommitted: false,
      rackId: "",
      metadataMaxAge: 300_000,
    },
    offsetManager,
    prefetching: true,
    isRunning: () => true,
    async process(_session, _round, batches: PendingBatch[]) {
      if (batches.length === 0) return;
      deliveries++;
      atOnce++;
      mostAtOnce = Math.max(mostAtOnce, atOnce);
      if (deliveries === 1) await firstHeld;
      for (const { state, batch } of batches) {
        for (const message of batch.messages) delivered.push(BigInt(message.offset));
        state.resolved = batch.nextOffset();
      }
      atOnce--;
      if (delivered.length >= stopAfter) fetcher.endRound();
    },
  });
  return {
    fetcher,
    session,
    seeks,
    delivered,
    mostAtOnce: () => mostAtOnce,
    fetchAnswers: () => fetchAnswers,
    fetchRequests: () => fetchRequests,
    releaseFirst,
    deliveries: () => deliveries,
  };
}

describe("Fetcher", () => {
  it("when a fetch's batch is still being processed, then the next answer waits for it, and each batch starts where the last ended", async () => {
    const topic = "fetcher-order";
    await topicOfBatches(topic, 5);
    const rig = await fetcherFor(topic, 5);
    const round = rig.fetcher.consumeRound(rig.session);
    // The prefetch for the next batch has been answered while the first is held.
    await waitFor(
      () => rig.fetchAnswers() >= 2,
      () => `fetch answers: ${rig.fetchAnswers()}`,
    );
    assert.equal(rig.deliveries(), 1);
    assert.deepEqual(rig.delivered, []);
    rig.releaseFirst();
    await round;
    assert.deepEqual(rig.delivered, [0n, 1n, 2n, 3n, 4n]);
    assert.equal(rig.mostAtOnce(), 1);
  });

  it("when a fetch reads every partition up to its high watermark, then no other fetch goes out while its batch is processed", async () => {
    const topic = "fetcher-caught-up";
    await topicOfBatches(topic, 1);
    const rig = await fetcherFor(topic, 1);
    const round = rig.fetcher.consumeRound(rig.session);
    await waitFor(
      () => rig.deliveries() === 1,
      () => `deliveries: ${rig.deliveries()}`,
    );
    // A prefetch would have gone out before the delivery began.
    assert.equal(rig.fetchRequests(), 1);
    rig.releaseFirst();
    await round;
    assert.deepEqual(rig.delivered, [0n]);
  });

  it("when a partition is sought while its batch is processed, then the prefetched answer is dropped and fetching goes on from the seek", async () => {
    const topic = "fetcher-seek";
    await topicOfBatches(topic, 5);
    const rig = await fetcherFor(topic, 3);
    const round = rig.fetcher.consumeRound(rig.session);
    await waitFor(
      () => rig.fetchAnswers() >= 2,
      () => `fetch answers: ${rig.fetchAnswers()}`,
    );
    rig.seeks.set(partitionKey(topic, 0), { topic, partition: 0, offset: 3n });
    rig.releaseFirst();
    await round;
    assert.deepEqual(rig.delivered, [0n, 3n, 4n]);
    assert.equal(rig.session.partitions.get(partitionKey(topic, 0))!.resolved, 5n);
  });
});
