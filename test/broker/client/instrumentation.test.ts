import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Kafka as KafkajsKafka, logLevel as kafkajsLogLevel } from "kafkajs";
import { KafkaJSNonRetriableError } from "../../../broker/client/errors.ts";
import { adminEvents, consumerEvents, producerEvents } from "../../../broker/client/events.ts";
import { InstrumentationEmitter } from "../../../broker/client/instrumentation.ts";
import { createLogger, type LogEntry, logLevel } from "../../../broker/client/logger.ts";

function emitterWithLog() {
  const logged: LogEntry[] = [];
  const logger = createLogger(logLevel.ERROR, () => (entry) => logged.push(entry));
  return { emitter: new InstrumentationEmitter(consumerEvents, "consumer", logger), logged };
}

describe("InstrumentationEmitter", () => {
  it("when an event is emitted, then each listener gets kafkajs's { id, type, timestamp, payload }, ids never repeating", () => {
    const { emitter } = emitterWithLog();
    const seen: Array<{ id: string; type: string; timestamp: number; payload: unknown }> = [];
    emitter.on(consumerEvents.HEARTBEAT, (event) => seen.push(event));
    const before = Date.now();
    emitter.emit(consumerEvents.HEARTBEAT, { groupId: "g" });
    emitter.emit(consumerEvents.HEARTBEAT, { groupId: "g" });
    assert.deepEqual(
      seen.map((e) => [e.type, e.payload]),
      [
        ["consumer.heartbeat", { groupId: "g" }],
        ["consumer.heartbeat", { groupId: "g" }],
      ],
    );
    assert.notEqual(seen[0]!.id, seen[1]!.id);
    assert.ok(seen.every((e) => e.timestamp >= before && e.timestamp <= Date.now()));
  });

  it("when nobody listens, then a payload given as a function is never built; when someone does, then it is built once", () => {
    const { emitter } = emitterWithLog();
    let built = 0;
    const payload = () => ({ built: ++built });
    emitter.emit(consumerEvents.FETCH, payload);
    assert.equal(built, 0);
    const seen: unknown[] = [];
    emitter.on(consumerEvents.FETCH, (event) => seen.push(event.payload));
    emitter.on(consumerEvents.FETCH, () => {});
    emitter.emit(consumerEvents.FETCH, payload);
    assert.deepEqual([built, seen], [1, [{ built: 1 }]]);
  });

  it("when a listener is removed, then it hears nothing more", () => {
    const { emitter } = emitterWithLog();
    let heard = 0;
    const remove = emitter.on(consumerEvents.STOP, () => heard++);
    emitter.emit(consumerEvents.STOP);
    remove();
    emitter.emit(consumerEvents.STOP);
    assert.equal(heard, 1);
    assert.equal(emitter.listens(consumerEvents.STOP), false);
  });

  it("when a listener throws or rejects, then the error is logged and the client goes on", async () => {
    const { emitter, logged } = emitterWithLog();
    emitter.on(consumerEvents.CRASH, () => {
      throw new Error("listener broke");
    });
    emitter.on(consumerEvents.CRASH, async () => {
      throw new Error("async listener broke");
    });
    emitter.emit(consumerEvents.CRASH, {});
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(logged.map((e) => e.log.message).sort(), [
      "Failed to execute listener: async listener broke",
      "Failed to execute listener: listener broke",
    ]);
    assert.ok(logged.every((e) => e.log.eventName === "consumer.crash"));
  });

  it("when an unknown event name is listened to, then the same KafkaJSNonRetriableError as each kafkajs client's, our extension events listed last", () => {
    const kafkajs = new KafkajsKafka({ brokers: ["127.0.0.1:1"], logLevel: kafkajsLogLevel.NOTHING });
    const logger = createLogger(logLevel.NOTHING);
    const ourConsumerExtensions = ", consumer.events.PARTITIONS_ASSIGNED, consumer.events.PARTITIONS_REVOKED";
    const pairs = [
      [new InstrumentationEmitter(producerEvents, "producer", logger), kafkajs.producer(), ""],
      [
        new InstrumentationEmitter(consumerEvents, "consumer", logger),
        kafkajs.consumer({ groupId: "g" }),
        ourConsumerExtensions,
      ],
      [new InstrumentationEmitter(adminEvents, "admin", logger), kafkajs.admin(), ""],
    ] as const;
    for (const [ours, theirs, extensions] of pairs) {
      const ourError = catching(() => ours.on("no.such.event", () => {}));
      const theirError = catching(() =>
        (theirs as { on(name: string, listener: () => void): unknown }).on("no.such.event", () => {}),
      );
      assert.ok(ourError instanceof KafkaJSNonRetriableError);
      assert.equal(ourError.message, `${theirError.message}${extensions}`);
    }
  });

  it("when connections report network events, then they become the client's own events, and count as listened to only when someone listens", () => {
    const { emitter } = emitterWithLog();
    assert.equal(emitter.network.listens("request"), false);
    const seen: string[] = [];
    emitter.on(consumerEvents.REQUEST, (event) => seen.push(`${event.type} ${event.payload.apiName}`));
    emitter.on(consumerEvents.REQUEST_QUEUE_SIZE, (event) => seen.push(`${event.type} ${event.payload.queueSize}`));
    assert.equal(emitter.network.listens("request"), true);
    assert.equal(emitter.network.listens("request_timeout"), false);
    emitter.network.request({ apiName: "Fetch" } as never);
    emitter.network.requestQueueSize({ queueSize: 3 } as never);
    emitter.network.requestTimeout({ apiName: "Fetch" } as never);
    assert.deepEqual(seen, ["consumer.network.request Fetch", "consumer.network.request_queue_size 3"]);
  });
});

function catching(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected it to throw");
}
