// kafkajs's instrumentation event names, per client (`producer.events`, `consumer.events`,
// `admin.events`), in kafkajs's order. Our extensions follow kafkajs's own names:
//   consumer.events.PARTITIONS_ASSIGNED ("consumer.partitions_assigned") and
//   consumer.events.PARTITIONS_REVOKED ("consumer.partitions_revoked"), emitted by a group member for
//   every change of what it owns, eager or cooperative, with the partitions, the generation, the
//   rebalance protocol and the reason (see ConsumerPartitionsChangedEvent in consumer/types.ts).
import type { AdminEvents } from "./admin/types.ts";
import type { ConsumerEvents } from "./consumer/types.ts";
import type { ProducerEvents } from "./producer/types.ts";

export const producerEvents: ProducerEvents = Object.freeze({
  CONNECT: "producer.connect",
  DISCONNECT: "producer.disconnect",
  REQUEST: "producer.network.request",
  REQUEST_TIMEOUT: "producer.network.request_timeout",
  REQUEST_QUEUE_SIZE: "producer.network.request_queue_size",
});

export const consumerEvents: ConsumerEvents = Object.freeze({
  HEARTBEAT: "consumer.heartbeat",
  COMMIT_OFFSETS: "consumer.commit_offsets",
  GROUP_JOIN: "consumer.group_join",
  FETCH: "consumer.fetch",
  FETCH_START: "consumer.fetch_start",
  START_BATCH_PROCESS: "consumer.start_batch_process",
  END_BATCH_PROCESS: "consumer.end_batch_process",
  CONNECT: "consumer.connect",
  DISCONNECT: "consumer.disconnect",
  STOP: "consumer.stop",
  CRASH: "consumer.crash",
  REBALANCING: "consumer.rebalancing",
  RECEIVED_UNSUBSCRIBED_TOPICS: "consumer.received_unsubscribed_topics",
  REQUEST: "consumer.network.request",
  REQUEST_TIMEOUT: "consumer.network.request_timeout",
  REQUEST_QUEUE_SIZE: "consumer.network.request_queue_size",
  PARTITIONS_ASSIGNED: "consumer.partitions_assigned",
  PARTITIONS_REVOKED: "consumer.partitions_revoked",
});

export const adminEvents: AdminEvents = Object.freeze({
  CONNECT: "admin.connect",
  DISCONNECT: "admin.disconnect",
  REQUEST: "admin.network.request",
  REQUEST_TIMEOUT: "admin.network.request_timeout",
  REQUEST_QUEUE_SIZE: "admin.network.request_queue_size",
});
