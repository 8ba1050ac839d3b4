// The client's errors against kafkajs's own classes: the same names, parents and retriable flags,
// so code that inspects errors (instanceof, name, retriable, cause) works with either client.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import * as ours from "../../../broker/client/errors.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";

type ErrorClass = new (...args: any[]) => Error;
const kafkajsErrors: Record<string, unknown> = createRequire(import.meta.url)("kafkajs/src/errors.js");
const ourClasses = ours as unknown as Record<string, ErrorClass>;
const kafkajsClasses = Object.entries(kafkajsErrors).filter(
  (entry): entry is [string, ErrorClass] => typeof entry[1] === "function" && entry[0].startsWith("KafkaJS"),
);

/** Classes made from a message alone, in both clients. */
const fromMessage = [
  "KafkaJSError",
  "KafkaJSNonRetriableError",
  "KafkaJSPartialMessageError",
  "KafkaJSBrokerNotFound",
  "KafkaJSConnectionError",
  "KafkaJSSASLAuthenticationError",
  "KafkaJSGroupCoordinatorNotFound",
  "KafkaJSNotImplemented",
  "KafkaJSMetadataNotLoaded",
  "KafkaJSTopicMetadataNotLoaded",
  "KafkaJSStaleTopicMetadataAssignment",
  "KafkaJSDeleteGroupsError",
  "KafkaJSTimeout",
  "KafkaJSLockTimeout",
  "KafkaJSServerDoesNotSupportApiKey",
  "KafkaJSUnsupportedMagicByteInMessageSet",
  "KafkaJSInvariantViolation",
  "KafkaJSInvalidVarIntError",
  "KafkaJSInvalidLongError",
  "KafkaJSAggregateError",
];

describe("client errors", () => {
  it("when kafkajs exports an error class, then ours has it, with the parent kafkajs gives it", () => {
    const differences = kafkajsClasses
      .map(([name, theirs]) => {
        const mine = ourClasses[name];
        if (!mine) return `${name} missing`;
        const [ourParent, theirParent] = [Object.getPrototypeOf(mine).name, Object.getPrototypeOf(theirs).name];
        return ourParent === theirParent ? null : `${name} extends ${ourParent}, kafkajs's ${theirParent}`;
      })
      .filter((difference) => difference !== null);
    assert.deepEqual(differences, []);
  });

  it("when made from a message, then retriable and message as kafkajs's, and named after its class", () => {
    for (const name of fromMessage) {
      const mine = new ourClasses[name]!("boom", []) as Error & { retriable?: boolean };
      const theirs = new (kafkajsErrors[name] as ErrorClass)("boom", []) as Error & { retriable?: boolean };
      assert.deepEqual([mine.retriable, mine.message], [theirs.retriable, theirs.message], name);
      // kafkajs leaves KafkaJSInvalidVarIntError and KafkaJSInvalidLongError named after their parent.
      assert.equal(mine.name, name);
      assert.ok(mine instanceof Error);
    }
  });

  it("when a broker answers an error code, then a protocol error with Kafka's name for it, retriable as Kafka says", () => {
    const unknownTopic = new ours.KafkaJSProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.deepEqual(
      [unknownTopic.type, unknownTopic.code, unknownTopic.retriable, unknownTopic.message],
      ["UNKNOWN_TOPIC_OR_PARTITION", 3, true, "Unknown topic or partition"],
    );
    const withReason = new ours.KafkaJSProtocolError(ErrorCode.INVALID_PARTITIONS, "can only grow");
    assert.deepEqual([withReason.retriable, withReason.message], [false, "INVALID_PARTITIONS: can only grow"]);
    const created = new ours.KafkaJSCreateTopicError(ErrorCode.TOPIC_ALREADY_EXISTS, null, "sales");
    assert.ok(created instanceof ours.KafkaJSProtocolError);
    assert.deepEqual([created.topic, created.type], ["sales", "TOPIC_ALREADY_EXISTS"]);
  });

  it("when retries run out, then the error is final and its cause is the last error", () => {
    const last = new ours.KafkaJSProtocolError(ErrorCode.NOT_COORDINATOR);
    const exceeded = new ours.KafkaJSNumberOfRetriesExceeded(last, { retryCount: 5, retryTime: 800 });
    assert.deepEqual(
      [exceeded.retriable, exceeded.cause, exceeded.message, exceeded.retryCount, exceeded.retryTime],
      [false, last, last.message, 5, 800],
    );
  });

  it("when records of some partitions could not be deleted, then the error is retriable only if every partition's is", () => {
    const retriable = new ours.KafkaJSProtocolError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const final = new ours.KafkaJSProtocolError(ErrorCode.OFFSET_OUT_OF_RANGE);
    const partitions = (...errors: ours.KafkaJSError[]) =>
      errors.map((error, partition) => ({ partition, offset: "0", error }));
    assert.equal(
      new ours.KafkaJSDeleteTopicRecordsError({ partitions: partitions(retriable, retriable) }).retriable,
      true,
    );
    assert.equal(
      new ours.KafkaJSDeleteTopicRecordsError({ partitions: partitions(retriable, final) }).retriable,
      false,
    );
  });

  it("when a response is checked, then a zero code passes and any other throws its protocol error", () => {
    ours.throwIfError(ErrorCode.NONE);
    assert.throws(
      () => ours.throwIfError(ErrorCode.REBALANCE_IN_PROGRESS, "rejoin"),
      (error) =>
        error instanceof ours.KafkaJSProtocolError &&
        error.type === "REBALANCE_IN_PROGRESS" &&
        error.message === "REBALANCE_IN_PROGRESS: rejoin",
    );
  });

  it("when deciding whether to retry, then the client's retriable errors and plain errors are retried, bugs and final errors are not", () => {
    assert.equal(ours.isRetriable(new ours.KafkaJSConnectionError("refused")), true);
    assert.equal(ours.isRetriable(new Error("socket hang up")), true);
    assert.equal(ours.isRetriable(new ours.KafkaJSNonRetriableError("no")), false);
    assert.equal(ours.isRetriable(new ours.KafkaJSProtocolError(ErrorCode.INVALID_TOPIC_EXCEPTION)), false);
    for (const bug of [new TypeError("x"), new RangeError("x"), new ReferenceError("x"), new SyntaxError("x")]) {
      assert.equal(ours.isRetriable(bug), false, bug.name);
    }
    assert.equal(ours.isRetriable("a string"), false);
  });
});
