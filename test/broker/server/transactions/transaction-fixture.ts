// A routed broker ready for transactions: `__transaction_state` (2 partitions) made by a
// FindCoordinator for a transactional id and loaded by its coordinator, with the requests the
// transaction tests send written once.
import assert from "node:assert/strict";
import { before } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { decodeRecordBatch } from "../../../../broker/protocol/record-batch/decoder.ts";
import { encodeRecordBatch } from "../../../../broker/protocol/record-batch/encoder.ts";
import { isControlBatch } from "../../../../broker/protocol/record-batch/layout.ts";
import { produceRequest } from "../../../helpers/requests.ts";
import { waitFor } from "../../../helpers/wait.ts";
import { type RoutedBroker, useRoutedBroker } from "../broker-state-fixture.ts";

export const transactionProps = { "transaction.state.log.num.partitions": "2" };

export interface Producer {
  producerId: bigint;
  producerEpoch: number;
}

/** Asks for a transaction coordinator until `__transaction_state` exists here and every partition is loaded. */
export async function readyForTransactions(broker: RoutedBroker): Promise<void> {
  await waitFor(
    async () => {
      const response = await broker.request(Apis.FindCoordinator, 1, { key: "any", keyType: 1 });
      return response?.errorCode === ErrorCode.NONE;
    },
    { message: "a transaction coordinator found" },
  );
  await waitFor(
    () => {
      const led = broker.state.transactions.ledPartitions();
      return led.length === 2 && led.every((partition) => partition.loaded);
    },
    { message: "__transaction_state loaded" },
  );
}

/** A routed broker for a describe block, ready for transactions before its tests run. */
export function useTransactionalBroker(props: Record<string, string> = {}): RoutedBroker {
  const broker = useRoutedBroker({ ...transactionProps, ...props });
  before(() => readyForTransactions(broker));
  return broker;
}

export async function createTopic(broker: RoutedBroker, name: string, numPartitions = 1): Promise<void> {
  const response = await broker.request(Apis.CreateTopics, 4, {
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  assert.equal(response?.topics[0]?.errorCode, ErrorCode.NONE);
  await waitFor(() => broker.state.topics.partition(name, numPartitions - 1)?.replication.isLeader === true);
}

export async function initTransactions(broker: RoutedBroker, transactionalId: string, version = 1): Promise<Producer> {
  const response = await broker.request(Apis.InitProducerId, version, {
    transactionalId,
    transactionTimeoutMs: 60_000,
    producerId: -1n,
    producerEpoch: -1,
  });
  assert.equal(response?.errorCode, ErrorCode.NONE);
  return { producerId: response!.producerId!, producerEpoch: response!.producerEpoch };
}

export async function addPartitions(
  broker: RoutedBroker,
  transactionalId: string,
  producer: Producer,
  topic: string,
  partitions: number[],
  version = 1,
): Promise<number[]> {
  const response = await broker.request(Apis.AddPartitionsToTxn, version, {
    v3AndBelowTransactionalId: transactionalId,
    v3AndBelowProducerId: producer.producerId,
    v3AndBelowProducerEpoch: producer.producerEpoch,
    v3AndBelowTopics: [{ name: topic, partitions }],
  });
  return response!.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode));
}

export async function endTransaction(
  broker: RoutedBroker,
  transactionalId: string,
  producer: Producer,
  committed: boolean,
  version = 1,
): Promise<number> {
  const response = await broker.request(Apis.EndTxn, version, {
    transactionalId,
    producerId: producer.producerId,
    producerEpoch: producer.producerEpoch,
    committed,
  });
  return response!.errorCode;
}

/** Produces one transactional batch of `values` at `baseSequence`; answers the partition's error code. */
export async function produceTransactional(
  broker: RoutedBroker,
  topic: string,
  partition: number,
  producer: Producer,
  baseSequence: number,
  values: string[],
): Promise<number> {
  const records = encodeRecordBatch({
    records: values.map((value) => ({ key: null, value: Buffer.from(value) })),
    ...producer,
    baseSequence,
    transactional: true,
  });
  const response = await broker.request(Apis.Produce, 7, produceRequest(topic, [{ index: partition, records }]));
  return response!.responses[0]!.partitionResponses[0]!.errorCode;
}

/** The transaction markers in a partition's log: each as commit (true) or abort (false) with its producer. */
export function markersIn(
  broker: RoutedBroker,
  topic: string,
  partition: number,
): { producerId: bigint; commit: boolean }[] {
  const log = broker.state.topics.partition(topic, partition)!.log;
  const markers: { producerId: bigint; commit: boolean }[] = [];
  for (const stored of log.batches()) {
    const { header, records } = decodeRecordBatch(stored.bytes, 0);
    if (!isControlBatch(header.attributes)) continue;
    markers.push({ producerId: header.producerId, commit: records[0]!.key!.readInt16BE(2) === 1 });
  }
  return markers;
}
