// The client's public surface, with kafkajs's names: swap `from "kafkajs"` for this module (or
// use createKafka, which picks either at run time).
export { Kafka, type KafkaConfig } from "./kafka.ts";
export { createKafka, type KafkaClient, type KafkaClientConsumer } from "./factory.ts";
export { logLevel, type LogEntry, type Logger, type logCreator } from "./logger.ts";
export type * from "./types.ts";
export { Partitioners, CompressionTypes, CompressionCodecs } from "./producer/index.ts";
export type * from "./producer/index.ts";
export { AssignerProtocol, PartitionAssigners } from "./consumer/index.ts";
export type * from "./consumer/index.ts";
export {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  ConfigSource,
  ResourcePatternTypes,
} from "./admin/index.ts";
export type * from "./admin/index.ts";
export type { RetryOptions } from "./retry.ts";
// The error classes, not the helpers beside them.
export {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSOffsetOutOfRange,
  KafkaJSMemberIdRequired,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSConnectionError,
  KafkaJSConnectionClosedError,
  KafkaJSRequestTimeoutError,
  KafkaJSMetadataNotLoaded,
  KafkaJSTopicMetadataNotLoaded,
  KafkaJSBrokerNotFound,
  KafkaJSServerDoesNotSupportApiKey,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNotImplemented,
  KafkaJSTimeout,
  KafkaJSNoBrokerAvailableError,
  KafkaJSCreateTopicError,
  KafkaJSDeleteGroupsError,
  KafkaJSStaleTopicMetadataAssignment,
  KafkaJSPartialMessageError,
  KafkaJSSASLAuthenticationError,
  KafkaJSLockTimeout,
  KafkaJSUnsupportedMagicByteInMessageSet,
  KafkaJSDeleteTopicRecordsError,
  KafkaJSAlterPartitionReassignmentsError,
  KafkaJSInvariantViolation,
  KafkaJSInvalidVarIntError,
  KafkaJSInvalidLongError,
  KafkaJSFetcherRebalanceError,
  KafkaJSAggregateError,
} from "./errors.ts";
