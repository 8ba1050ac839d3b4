// The client's public surface, with kafkajs's names: swap `from "kafkajs"` for this module (or
// use createKafka, which picks either at run time).

export type * from "./admin/index.ts";
export {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  ConfigSource,
  ResourcePatternTypes,
} from "./admin/index.ts";
export type * from "./consumer/index.ts";
export { AssignerProtocol, PartitionAssigners } from "./consumer/index.ts";
// The error classes, not the helpers beside them.
export {
  KafkaJSAggregateError,
  KafkaJSAlterPartitionReassignmentsError,
  KafkaJSBrokerNotFound,
  KafkaJSConnectionClosedError,
  KafkaJSConnectionError,
  KafkaJSCreateTopicError,
  KafkaJSDeleteGroupsError,
  KafkaJSDeleteTopicRecordsError,
  KafkaJSError,
  KafkaJSFetcherRebalanceError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSInvalidLongError,
  KafkaJSInvalidVarIntError,
  KafkaJSInvariantViolation,
  KafkaJSLockTimeout,
  KafkaJSMemberIdRequired,
  KafkaJSMetadataNotLoaded,
  KafkaJSNoBrokerAvailableError,
  KafkaJSNonRetriableError,
  KafkaJSNotImplemented,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSOffsetOutOfRange,
  KafkaJSPartialMessageError,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
  KafkaJSServerDoesNotSupportApiKey,
  KafkaJSStaleTopicMetadataAssignment,
  KafkaJSTimeout,
  KafkaJSTopicMetadataNotLoaded,
  KafkaJSUnsupportedMagicByteInMessageSet,
} from "./errors.ts";
export { createKafka, type KafkaClient, type KafkaClientConsumer } from "./factory.ts";
export { Kafka, type KafkaConfig } from "./kafka.ts";
export { type LogEntry, type Logger, type logCreator, logLevel } from "./logger.ts";
export type * from "./producer/index.ts";
export { CompressionCodecs, CompressionTypes, Partitioners } from "./producer/index.ts";
export type { RetryOptions } from "./retry.ts";
export type * from "./types.ts";
