// A scripted stand-in for the coordinators, so the transaction manager and the transaction object
// can be tested without a broker: each API's answers are queued (an Error is thrown instead of
// answered), every request is recorded with the coordinator it went to.
import { CoordinatorType } from "../../../../broker/client/cluster.ts";
import type { ProducerIdentity } from "../../../../broker/client/producer/sequence-numbers.ts";
import {
  type CoordinatorConnection,
  TransactionManager,
} from "../../../../broker/client/producer/transaction-manager.ts";
import { createRetrier } from "../../../../broker/client/retry.ts";
import { silentLogger } from "../helpers.ts";

export interface RecordedRequest {
  api: string;
  /** Which lookup the connection came from: "transaction" or "group", and the how-manyth (from 1). */
  coordinator: string;
  body: Record<string, unknown>;
}

export class FakeCoordinators {
  readonly requests: RecordedRequest[] = [];
  readonly lookups: { key: string; keyType: number }[] = [];
  private readonly answers = new Map<string, unknown[]>();

  /** Queues answers for an API (by name); an API with none left answers `{ errorCode: 0 }`-shaped success. */
  answer(api: string, ...answers: unknown[]): this {
    this.answers.set(api, [...(this.answers.get(api) ?? []), ...answers]);
    return this;
  }

  requestsOf(api: string): RecordedRequest[] {
    return this.requests.filter((r) => r.api === api);
  }

  readonly cluster = {
    findCoordinator: async (key: string, keyType: CoordinatorType): Promise<CoordinatorConnection> => {
      this.lookups.push({ key, keyType });
      const coordinator = `${keyType === CoordinatorType.TRANSACTION ? "transaction" : "group"}#${this.lookups.length}`;
      const connection = {
        request: async (api: { name: string }, body: unknown) => {
          this.requests.push({ api: api.name, coordinator, body: body as Record<string, unknown> });
          const queued = this.answers.get(api.name);
          const answer = queued && queued.length > 0 ? queued.shift() : defaultAnswer(api.name, body);
          if (answer instanceof Error) throw answer;
          return answer;
        },
      };
      return connection as unknown as CoordinatorConnection;
    },
  };
}

function defaultAnswer(api: string, body: unknown): unknown {
  switch (api) {
    case "InitProducerId":
      return { throttleTimeMs: 0, errorCode: 0, producerId: 7000n, producerEpoch: 0 };
    case "AddPartitionsToTxn": {
      const topics = (body as { v3AndBelowTopics: { name: string; partitions: number[] }[] }).v3AndBelowTopics;
      return {
        throttleTimeMs: 0,
        resultsByTopicV3AndBelow: topics.map(({ name, partitions }) => ({
          name,
          resultsByPartition: partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: 0 })),
        })),
      };
    }
    case "TxnOffsetCommit": {
      const topics = (body as { topics: { name: string; partitions: { partitionIndex: number }[] }[] }).topics;
      return {
        throttleTimeMs: 0,
        topics: topics.map(({ name, partitions }) => ({
          name,
          partitions: partitions.map(({ partitionIndex }) => ({ partitionIndex, errorCode: 0 })),
        })),
      };
    }
    default:
      return { throttleTimeMs: 0, errorCode: 0 };
  }
}

/** An AddPartitionsToTxn answer with these error codes, per topic and partition. */
export function addPartitionsAnswer(results: Record<string, Record<number, number>>): unknown {
  return {
    throttleTimeMs: 0,
    resultsByTopicV3AndBelow: Object.entries(results).map(([name, partitions]) => ({
      name,
      resultsByPartition: Object.entries(partitions).map(([index, partitionErrorCode]) => ({
        partitionIndex: Number(index),
        partitionErrorCode,
      })),
    })),
  };
}

export function managerWith(
  fakes: FakeCoordinators,
  { retries = 3, onIdentity }: { retries?: number; onIdentity?: () => void } = {},
): { manager: TransactionManager; identity: ProducerIdentity } {
  const identity: ProducerIdentity = { producerId: -1n, producerEpoch: -1 };
  const manager = new TransactionManager({
    transactionalId: "tx-1",
    transactionTimeout: 30_000,
    cluster: fakes.cluster,
    retrier: createRetrier({ retries, initialRetryTime: 1, maxRetryTime: 5 }),
    logger: silentLogger,
    identity,
    ...(onIdentity ? { onIdentity } : {}),
  });
  return { manager, identity };
}
