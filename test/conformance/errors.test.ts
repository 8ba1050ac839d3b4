// Conformance: errors — which calls fail, with which Kafka error type, wrapped how, and that each
// is an instance of the client's own KafkaJS error classes (what apps test with `instanceof`).
// Topic auto-creation is off on this broker, so unknown topics stay unknown.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { trackAssignment } from "../helpers/group-assignment.ts";
import {
  clientKinds,
  connectedProducer,
  describeError,
  errorClassesOf,
  errorType,
  kafkaFor,
  quickGroupBrokerConfig,
  type Received,
  rejectionOf,
  runCollecting,
  topicName,
  useBroker,
  useClientsOf,
  waitFor,
  withBrokerLog,
} from "./helpers.ts";

/** The protocol error itself: the error, or the cause kafkajs wraps it in after retrying. */
const protocolErrorOf = (error: Error & Record<string, any>): unknown =>
  typeof error.type === "string" ? error : error.cause;

describe("conformance: errors", () => {
  const broker = useBroker({ config: { ...quickGroupBrokerConfig, "auto.create.topics.enable": false } });

  for (const kind of clientKinds) {
    describe(kind, () => {
      const errors = errorClassesOf(kind);
      // Few, quick retries: retriable errors surface within a second.
      const clients = useClientsOf(kind, broker, `conformance-errors-${kind}`, {
        kafka: { retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 } },
      });
      let existingTopic: string;

      before(async () => {
        existingTopic = await clients.createTopic("existing", 2);
      });

      const assertProtocolError = (error: Error & Record<string, any>, type: string): void => {
        assert.equal(errorType(error), type, describeError(error));
        assert.ok(error instanceof errors.KafkaJSError, `${describeError(error)} is not the client's KafkaJSError`);
        assert.ok(
          protocolErrorOf(error) instanceof errors.KafkaJSProtocolError,
          `${describeError(error)} carries no KafkaJSProtocolError`,
        );
        if (error.type === undefined)
          assert.ok(
            error instanceof errors.KafkaJSNumberOfRetriesExceeded,
            `${describeError(error)} wraps its cause unlike kafkajs`,
          );
      };

      it(
        "when admin.fetchTopicMetadata asks for an unknown topic, then it rejects with UNKNOWN_TOPIC_OR_PARTITION",
        { timeout: 20_000 },
        () =>
          withBrokerLog(broker, async () => {
            const error = await rejectionOf(clients.admin.fetchTopicMetadata({ topics: [topicName(kind, "missing")] }));
            assertProtocolError(error, "UNKNOWN_TOPIC_OR_PARTITION");
            assert.equal(
              (await clients.admin.listTopics()).some((t) => t.startsWith(`missing-${kind}`)),
              false,
              "the lookup created the topic",
            );
          }),
      );

      it(
        "when createPartitions asks for fewer partitions, then it rejects with INVALID_PARTITIONS, not retriable",
        { timeout: 20_000 },
        () =>
          withBrokerLog(broker, async () => {
            const error = await rejectionOf(
              clients.admin.createPartitions({ topicPartitions: [{ topic: existingTopic, count: 1 }] }),
            );
            assertProtocolError(error, "INVALID_PARTITIONS");
            assert.equal((protocolErrorOf(error) as { retriable: boolean }).retriable, false);
            const metadata = await clients.admin.fetchTopicMetadata({ topics: [existingTopic] });
            assert.equal(metadata.topics[0]!.partitions.length, 2);
          }),
      );

      it(
        "when createPartitions or deleteTopics names an unknown topic, then they reject with UNKNOWN_TOPIC_OR_PARTITION",
        { timeout: 20_000 },
        () =>
          withBrokerLog(broker, async () => {
            assertProtocolError(
              await rejectionOf(
                clients.admin.createPartitions({ topicPartitions: [{ topic: topicName(kind, "missing"), count: 3 }] }),
              ),
              "UNKNOWN_TOPIC_OR_PARTITION",
            );
            assertProtocolError(
              await rejectionOf(clients.admin.deleteTopics({ topics: [topicName(kind, "missing")] })),
              "UNKNOWN_TOPIC_OR_PARTITION",
            );
          }),
      );

      it(
        "when createTopics gets an invalid topic, then it rejects with a KafkaJSAggregateError of KafkaJSCreateTopicErrors",
        { timeout: 20_000 },
        () =>
          withBrokerLog(broker, async () => {
            const error = await rejectionOf(
              clients.admin.createTopics({ topics: [{ topic: topicName(kind, "zero"), numPartitions: 0 }] }),
            );
            assert.ok(error instanceof errors.KafkaJSAggregateError, describeError(error));
            const [inner] = error.errors as Array<Error & { type?: string; topic?: string }>;
            assert.ok(inner instanceof errors.KafkaJSCreateTopicError, describeError(inner));
            assert.equal(inner!.type, "INVALID_PARTITIONS");
            assert.match(inner!.topic ?? "", new RegExp(`^zero-${kind}`));
          }),
      );

      it(
        "when a producer sends to an unknown topic without auto-creation, then it rejects with UNKNOWN_TOPIC_OR_PARTITION",
        { timeout: 20_000 },
        () =>
          withBrokerLog(broker, async () => {
            const producer = await connectedProducer(clients.kafka, clients.pool, { allowAutoTopicCreation: false });
            assertProtocolError(
              await rejectionOf(producer.send({ topic: topicName(kind, "missing"), messages: [{ value: "x" }] })),
              "UNKNOWN_TOPIC_OR_PARTITION",
            );
          }),
      );

      it("when the producer is misused, then it rejects as kafkajs does", { timeout: 20_000 }, () =>
        withBrokerLog(broker, async () => {
          const producer = clients.pool.track(clients.kafka.producer());
          const beforeConnect = await rejectionOf(producer.send({ topic: existingTopic, messages: [{ value: "x" }] }));
          assert.ok(beforeConnect instanceof errors.KafkaJSError, describeError(beforeConnect));
          assert.equal(beforeConnect.message, "The producer is disconnected");
          await producer.connect();
          const withoutValue = await rejectionOf(
            producer.send({ topic: existingTopic, messages: [{ key: "k" } as never] }),
          );
          assert.ok(withoutValue instanceof errors.KafkaJSNonRetriableError, describeError(withoutValue));
          await producer.disconnect();
          const afterDisconnect = await rejectionOf(
            producer.send({ topic: existingTopic, messages: [{ value: "x" }] }),
          );
          assert.ok(afterDisconnect instanceof errors.KafkaJSError, describeError(afterDisconnect));
          assert.equal(afterDisconnect.message, "The producer is disconnected");
        }),
      );

      it("when a consumer pauses or seeks before run, then it throws KafkaJSNonRetriableError", {
        timeout: 20_000,
      }, async () => {
        const consumer = clients.consumer(topicName(kind, "early"));
        for (const call of [
          () => consumer.pause([{ topic: existingTopic }]),
          () => consumer.seek({ topic: existingTopic, partition: 0, offset: "0" }),
        ]) {
          const error = await rejectionOf(call);
          assert.ok(error instanceof errors.KafkaJSNonRetriableError, describeError(error));
          assert.equal(error.message, "Consumer group was not initialized, consumer#run must be called first");
        }
      });

      it(
        "when subscribe names an unknown topic, then it rejects and the consumer still runs its other subscriptions",
        { timeout: 30_000 },
        () =>
          withBrokerLog(broker, async () => {
            const consumer = clients.consumer(topicName(kind, "subscriber"));
            let crash: unknown;
            consumer.on(consumer.events.CRASH, (event) => {
              crash = event.payload.error;
            });
            const assignment = trackAssignment(consumer, existingTopic);
            await consumer.connect();
            assertProtocolError(
              await rejectionOf(consumer.subscribe({ topics: [topicName(kind, "missing")] })),
              "UNKNOWN_TOPIC_OR_PARTITION",
            );

            await consumer.subscribe({ topics: [existingTopic], fromBeginning: true });
            const received: Received[] = [];
            await runCollecting(consumer, received);
            await waitFor(() => assignment.partitions()?.length === 2 || crash !== undefined, "the consumer joining");
            assert.equal(crash, undefined, `the consumer crashed: ${describeError(crash)}`);
            await clients.producer.send({
              topic: existingTopic,
              messages: [{ value: "after a failed subscribe", partition: 1 }],
            });
            await waitFor(() => received.some((m) => m.value === "after a failed subscribe"), "the message to arrive");
          }),
      );

      it(
        "when offsets are set on a group with a running member, then setOffsets and resetOffsets reject",
        { timeout: 30_000 },
        () =>
          withBrokerLog(broker, async () => {
            const groupId = topicName(kind, "running-group");
            const consumer = clients.consumer(groupId);
            const assignment = trackAssignment(consumer, existingTopic);
            await consumer.connect();
            await consumer.subscribe({ topics: [existingTopic] });
            await consumer.run({ eachMessage: async () => undefined });
            await waitFor(() => assignment.partitions()?.length === 2, "the member joining");

            for (const call of [
              () =>
                clients.admin.setOffsets({
                  groupId,
                  topic: existingTopic,
                  partitions: [{ partition: 0, offset: "0" }],
                }),
              () => clients.admin.resetOffsets({ groupId, topic: existingTopic, earliest: true }),
            ]) {
              const error = await rejectionOf(call);
              assert.ok(error instanceof errors.KafkaJSNonRetriableError, describeError(error));
              assert.match(error.message, /must have no running instances/);
            }
            const deleting = await rejectionOf(clients.admin.deleteGroups([groupId]));
            assert.ok(deleting instanceof errors.KafkaJSDeleteGroupsError, describeError(deleting));
            assert.deepEqual(
              deleting.groups.map((g: { groupId: string; error?: { type?: string } }) => [g.groupId, g.error?.type]),
              [[groupId, "NON_EMPTY_GROUP"]],
            );
            assert.ok(deleting.groups[0].error instanceof errors.KafkaJSProtocolError);
          }),
      );

      it(
        "when deleteGroups names an unknown group, then it rejects with GROUP_ID_NOT_FOUND per group",
        { timeout: 20_000 },
        () =>
          withBrokerLog(broker, async () => {
            const groupId = topicName(kind, "no-such-group");
            const error = await rejectionOf(clients.admin.deleteGroups([groupId]));
            assert.ok(error instanceof errors.KafkaJSDeleteGroupsError, describeError(error));
            assert.deepEqual(
              error.groups.map((g: { groupId: string; errorCode: number; error?: { type?: string } }) => [
                g.groupId,
                g.errorCode,
                g.error?.type,
              ]),
              [[groupId, 69, "GROUP_ID_NOT_FOUND"]],
            );
          }),
      );

      it("when no broker listens, then connect rejects with retries exceeded around a KafkaJSConnectionError", {
        timeout: 20_000,
      }, async () => {
        const unreachable = await kafkaFor(kind, "127.0.0.1:1", `conformance-errors-${kind}`, {
          retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 },
        });
        const unreachableAdmin = clients.pool.track(unreachable.admin());
        const error = await rejectionOf(unreachableAdmin.connect());
        assert.ok(error instanceof errors.KafkaJSNumberOfRetriesExceeded, describeError(error));
        assert.ok(error.cause instanceof errors.KafkaJSConnectionError, describeError(error));
      });
    });
  }
});
