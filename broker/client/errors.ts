// One error root, as in kafkajs: every error the client raises is a KafkaJSError that says whether
// retrying can help (`retriable`) and what caused it (`cause`). The class names and fields match
// kafkajs's, so code that inspects errors works with either client.
import { errorCodeName, isRetriableError } from "../protocol/errors.ts";

type ErrorInput = Error | string;

const messageOf = (e: ErrorInput): string => (typeof e === "string" ? e : e.message);

export class KafkaJSError extends Error {
  retriable: boolean;
  helpUrl?: string;
  override cause?: unknown;

  constructor(e: ErrorInput, { retriable = true, cause }: { retriable?: boolean; cause?: unknown } = {}) {
    super(messageOf(e));
    this.name = "KafkaJSError";
    this.retriable = retriable;
    this.cause = cause;
  }
}

export class KafkaJSNonRetriableError extends KafkaJSError {
  constructor(e: ErrorInput, { cause }: { cause?: unknown } = {}) {
    super(e, { retriable: false, cause });
    this.name = "KafkaJSNonRetriableError";
  }
}

/** An error code in a broker's response; `type` is Kafka's name for it, e.g. UNKNOWN_TOPIC_OR_PARTITION. */
export class KafkaJSProtocolError extends KafkaJSError {
  type: string;
  code: number;

  constructor(code: number, message?: string | null) {
    const type = errorCodeName(code);
    super(message ? `${type}: ${message}` : describeCode(type), { retriable: isRetriableError(code) });
    this.name = "KafkaJSProtocolError";
    this.type = type;
    this.code = code;
  }
}

export class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  constructor(
    code: number,
    readonly topic: string,
    readonly partition: number,
  ) {
    super(code);
    this.name = "KafkaJSOffsetOutOfRange";
  }
}

export class KafkaJSMemberIdRequired extends KafkaJSProtocolError {
  constructor(
    code: number,
    readonly memberId: string,
  ) {
    super(code);
    this.name = "KafkaJSMemberIdRequired";
  }
}

export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  retryCount: number;
  retryTime: number;

  constructor(e: Error, { retryCount, retryTime }: { retryCount: number; retryTime: number }) {
    super(e, { cause: e });
    this.name = "KafkaJSNumberOfRetriesExceeded";
    this.retryCount = retryCount;
    this.retryTime = retryTime;
  }
}

export class KafkaJSConnectionError extends KafkaJSError {
  broker?: string;
  code?: string;

  constructor(e: ErrorInput, { broker, code, cause }: { broker?: string; code?: string; cause?: unknown } = {}) {
    super(e, { cause });
    this.name = "KafkaJSConnectionError";
    this.broker = broker;
    this.code = code;
  }
}

export class KafkaJSConnectionClosedError extends KafkaJSConnectionError {
  constructor(
    e: ErrorInput,
    readonly host: string,
    readonly port: number,
  ) {
    super(e, { broker: `${host}:${port}` });
    this.name = "KafkaJSConnectionClosedError";
  }
}

export class KafkaJSRequestTimeoutError extends KafkaJSError {
  readonly broker: string;
  readonly correlationId: number;
  readonly createdAt: number;
  readonly sentAt: number;
  readonly pendingDuration: number;

  constructor(
    e: ErrorInput,
    {
      broker,
      correlationId,
      createdAt,
      sentAt,
      pendingDuration,
    }: { broker: string; correlationId: number; createdAt: number; sentAt: number; pendingDuration: number },
  ) {
    super(e);
    this.name = "KafkaJSRequestTimeoutError";
    this.broker = broker;
    this.correlationId = correlationId;
    this.createdAt = createdAt;
    this.sentAt = sentAt;
    this.pendingDuration = pendingDuration;
  }
}

export class KafkaJSMetadataNotLoaded extends KafkaJSError {
  constructor(e: ErrorInput) {
    super(e);
    this.name = "KafkaJSMetadataNotLoaded";
  }
}

export class KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded {
  constructor(
    e: ErrorInput,
    readonly topic: string,
  ) {
    super(e);
    this.name = "KafkaJSTopicMetadataNotLoaded";
  }
}

export class KafkaJSBrokerNotFound extends KafkaJSError {
  constructor(e: ErrorInput) {
    super(e);
    this.name = "KafkaJSBrokerNotFound";
  }
}

export class KafkaJSServerDoesNotSupportApiKey extends KafkaJSNonRetriableError {
  constructor(
    e: ErrorInput,
    readonly apiKey: number,
    readonly apiName: string,
  ) {
    super(e);
    this.name = "KafkaJSServerDoesNotSupportApiKey";
  }
}

export class KafkaJSGroupCoordinatorNotFound extends KafkaJSNonRetriableError {
  constructor(e: ErrorInput) {
    super(e);
    this.name = "KafkaJSGroupCoordinatorNotFound";
  }
}

export class KafkaJSNotImplemented extends KafkaJSNonRetriableError {
  constructor(e: ErrorInput) {
    super(e);
    this.name = "KafkaJSNotImplemented";
  }
}

export class KafkaJSTimeout extends KafkaJSNonRetriableError {
  constructor(e: ErrorInput) {
    super(e);
    this.name = "KafkaJSTimeout";
  }
}

export class KafkaJSNoBrokerAvailableError extends KafkaJSError {
  constructor(e: ErrorInput = "No broker available") {
    super(e);
    this.name = "KafkaJSNoBrokerAvailableError";
  }
}

export class KafkaJSCreateTopicError extends KafkaJSProtocolError {
  constructor(
    code: number,
    message: string | null,
    readonly topic: string,
  ) {
    super(code, message);
    this.name = "KafkaJSCreateTopicError";
  }
}

export class KafkaJSDeleteGroupsError extends KafkaJSError {
  constructor(
    e: ErrorInput,
    readonly groups: { groupId: string; errorCode: number; error: KafkaJSProtocolError }[] = [],
  ) {
    super(e);
    this.name = "KafkaJSDeleteGroupsError";
  }
}

/** A broker refused this client's SASL authentication (or could not prove itself): the same credentials fail again. */
export class KafkaJSSASLAuthenticationError extends KafkaJSNonRetriableError {
  constructor(e: ErrorInput, { cause }: { cause?: unknown } = {}) {
    super(e, { cause });
    this.name = "KafkaJSSASLAuthenticationError";
  }
}

// Raised by kafkajs features this client does not have (DeleteRecords, reassignments);
// declared so that code catching them compiles and its instanceof checks work unchanged.

export class KafkaJSStaleTopicMetadataAssignment extends KafkaJSError {
  readonly topic?: string;
  readonly unknownPartitions?: number;

  constructor(e: ErrorInput, { topic, unknownPartitions }: { topic?: string; unknownPartitions?: number } = {}) {
    super(e);
    this.name = "KafkaJSStaleTopicMetadataAssignment";
    this.topic = topic;
    this.unknownPartitions = unknownPartitions;
  }
}

export class KafkaJSPartialMessageError extends KafkaJSNonRetriableError {
  constructor(e: ErrorInput) {
    super(e);
    this.name = "KafkaJSPartialMessageError";
  }
}

export class KafkaJSLockTimeout extends KafkaJSTimeout {
  constructor(e: ErrorInput) {
    super(e);
    this.name = "KafkaJSLockTimeout";
  }
}

export class KafkaJSUnsupportedMagicByteInMessageSet extends KafkaJSNonRetriableError {
  constructor(e: ErrorInput) {
    super(e);
    this.name = "KafkaJSUnsupportedMagicByteInMessageSet";
  }
}

export class KafkaJSDeleteTopicRecordsError extends KafkaJSError {
  readonly partitions: { partition: number; offset: string; error: KafkaJSError }[];

  /** Retriable when every partition's error is. */
  constructor({
    partitions,
  }: { topic?: string; partitions: { partition: number; offset: string; error: KafkaJSError }[] }) {
    super("Error while deleting records", {
      retriable: partitions.every(({ error }) => error == null || error.retriable),
    });
    this.name = "KafkaJSDeleteTopicRecordsError";
    this.partitions = partitions;
  }
}

export class KafkaJSAlterPartitionReassignmentsError extends KafkaJSProtocolError {
  constructor(
    code: number,
    readonly topic?: string,
    readonly partition?: number,
  ) {
    super(code);
    this.name = "KafkaJSAlterPartitionReassignmentsError";
  }
}

export class KafkaJSInvariantViolation extends KafkaJSNonRetriableError {
  constructor(e: ErrorInput) {
    super(`Invariant violated: ${messageOf(e)}. This is likely a bug and should be reported.`);
    this.name = "KafkaJSInvariantViolation";
  }
}

export class KafkaJSInvalidVarIntError extends KafkaJSNonRetriableError {
  constructor(e: ErrorInput) {
    super(e);
    this.name = "KafkaJSInvalidVarIntError";
  }
}

export class KafkaJSInvalidLongError extends KafkaJSNonRetriableError {
  constructor(e: ErrorInput) {
    super(e);
    this.name = "KafkaJSInvalidLongError";
  }
}

/** Internal to kafkajs's fetch loop; exported there, so here too. */
export class KafkaJSFetcherRebalanceError extends Error {}

export class KafkaJSAggregateError extends Error {
  constructor(
    message: string,
    readonly errors: Error[],
  ) {
    super(message);
    this.name = "KafkaJSAggregateError";
  }
}

function describeCode(type: string): string {
  return type
    .toLowerCase()
    .replace(/_/g, " ")
    .replace(/^./, (c) => c.toUpperCase());
}

/** Throws the protocol error for a non-zero code; for use right after reading a response. */
export function throwIfError(code: number, message?: string | null): void {
  if (code !== 0) throw new KafkaJSProtocolError(code, message);
}

/** Language errors are bugs, never worth retrying. */
const unrecoverable = new Set(["RangeError", "ReferenceError", "SyntaxError", "TypeError"]);

export function isRetriable(error: unknown): boolean {
  if (!(error instanceof Error) || unrecoverable.has(error.name)) return false;
  return (error as { retriable?: boolean }).retriable !== false;
}
