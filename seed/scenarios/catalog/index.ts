// The learning path: every scenario of this folder, in the order (sorted by number, so each
// module is one import line and one list line here and concurrent additions merge cleanly).
import type { Scenario } from "../scenario.ts";
import { consumerOffsets } from "./consumer-offsets.ts";
import { durability } from "./durability.ts";
import { idempotentProducer } from "./idempotent-producer.ts";
import { isrAndElection } from "./isr-and-election.ts";
import { keyRouting } from "./key-routing.ts";
import { kraftControllerFailover } from "./kraft-controller-failover.ts";
import { leadersAndFollowers } from "./leaders-and-followers.ts";
import { ledgerExactlyOnce } from "./ledger-exactly-once.ts";
import { lessStopping } from "./less-stopping.ts";
import { manyGroupsOneTopic } from "./many-groups-one-topic.ts";
import { migrateToFewerPartitions } from "./migrate-to-fewer-partitions.ts";
import { oneConsumerPerPartition } from "./one-consumer-per-partition.ts";
import { partitionsOnlyGrow } from "./partitions-only-grow.ts";
import { perPartitionOrder } from "./per-partition-order.ts";
import { rebalanceJoinLeave } from "./rebalance-join-leave.ts";
import { rebalanceMaxPoll } from "./rebalance-max-poll.ts";
import { rebalanceSessionTimeout } from "./rebalance-session-timeout.ts";
import { recordAnatomy } from "./record-anatomy.ts";
import { standaloneAssign } from "./standalone-assign.ts";
import { surplusConsumer } from "./surplus-consumer.ts";
import { transactions } from "./transactions.ts";

export const scenarios: Scenario[] = [
  recordAnatomy,
  keyRouting,
  perPartitionOrder,
  oneConsumerPerPartition,
  surplusConsumer,
  manyGroupsOneTopic,
  standaloneAssign,
  rebalanceJoinLeave,
  rebalanceSessionTimeout,
  rebalanceMaxPoll,
  lessStopping,
  consumerOffsets,
  partitionsOnlyGrow,
  migrateToFewerPartitions,
  leadersAndFollowers,
  isrAndElection,
  kraftControllerFailover,
  durability,
  idempotentProducer,
  ledgerExactlyOnce,
  transactions,
].sort((a, b) => a.number - b.number);

/** The scenario named `nameOrNumber` ("key-routing" or "2"), or undefined. */
export function findScenario(nameOrNumber: string): Scenario | undefined {
  const wanted = nameOrNumber.trim().toLowerCase();
  return scenarios.find((s) => s.name === wanted || String(s.number) === wanted);
}
