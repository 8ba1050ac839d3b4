// The admin client as a whole: its kafkajs-shaped events and logger, and the kafkajs methods whose
// Kafka API the broker does not offer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KafkaJSNonRetriableError, KafkaJSNotImplemented } from "../../../../broker/client/errors.ts";
import { Kafka } from "../../../../broker/client/kafka.ts";
import { logLevel } from "../../../../broker/client/logger.ts";
import { createOurAdmin, useAdmins } from "./fixture.ts";

describe("admin: events and logger", () => {
  const fx = useAdmins();

  it("when listening to connect and disconnect, then kafkajs-shaped events, and the listener can be removed", async () => {
    const admin = createOurAdmin(fx.broker.address);
    const seen: { id: unknown; type: string; timestamp: number; payload: unknown }[] = [];
    const removeConnect = admin.on(admin.events.CONNECT, (event) => {
      seen.push(event);
    });
    admin.on(admin.events.DISCONNECT, (event) => {
      seen.push(event);
    });
    assert.deepEqual(admin.events, fx.kafkajs.events);
    try {
      await admin.connect();
      removeConnect();
      await admin.connect();
    } finally {
      await admin.disconnect();
    }
    assert.deepEqual(
      seen.map((e) => [e.type, e.payload]),
      [
        ["admin.connect", undefined],
        ["admin.disconnect", undefined],
      ],
    );
    assert.ok(seen.every((e) => typeof e.timestamp === "number" && e.id !== undefined));
  });

  it("when listening to REQUEST, then every request of the admin is reported, with each connection's own correlation ids", async () => {
    const admin = createOurAdmin(fx.broker.address);
    const requests: Array<{ apiName: string; correlationId: number; broker: string; clientId: string }> = [];
    admin.on(admin.events.REQUEST, (event) => {
      requests.push(event.payload);
    });
    try {
      await admin.connect();
      await admin.listTopics();
      await admin.describeGroups(["no-such-group"]);
    } finally {
      await admin.disconnect();
    }
    for (const apiName of ["ApiVersions", "Metadata", "FindCoordinator", "DescribeGroups"])
      assert.ok(
        requests.some((r) => r.apiName === apiName),
        apiName,
      );
    assert.ok(requests.every((r) => r.broker === fx.broker.address && r.clientId === "admin-test"));
    assert.equal(new Set(requests.map((r) => `${r.broker} ${r.correlationId}`)).size, requests.length);
  });

  it("when listening to an unknown event, then the same KafkaJSNonRetriableError as kafkajs", () => {
    const attempt = (admin: { on(name: never, listener: () => void): unknown }) => {
      try {
        admin.on("admin.nope" as never, () => {});
      } catch (err) {
        return err as Error;
      }
      throw new Error("expected on() to throw");
    };
    const ours = attempt(fx.ours as never);
    const theirs = attempt(fx.kafkajs as never);
    assert.ok(ours instanceof KafkaJSNonRetriableError);
    assert.deepEqual([ours.name, ours.message], [theirs.name, theirs.message]);
  });

  it("when asked for its logger, then a kafkajs-shaped logger", () => {
    const logger = fx.ours.logger();
    for (const method of ["info", "error", "warn", "debug", "namespace", "setLogLevel"] as const)
      assert.equal(typeof logger[method], "function");
  });
});

describe("admin: what the broker does not offer", () => {
  it("when an admin method needs an API the broker lacks, then it rejects with KafkaJSNotImplemented naming the API", async () => {
    const admin = new Kafka({ brokers: ["127.0.0.1:1"], logLevel: logLevel.NOTHING }).admin();
    const calls: Array<[string, () => Promise<unknown>]> = [
      [
        "DescribeAcls",
        () => admin.describeAcls({ resourceType: 1, resourcePatternType: 1, operation: 1, permissionType: 1 }),
      ],
      ["CreateAcls", () => admin.createAcls({ acl: [] })],
      ["DeleteAcls", () => admin.deleteAcls({ filters: [] })],
      ["AlterPartitionReassignments", () => admin.alterPartitionReassignments({ topics: [] })],
      ["ListPartitionReassignments", () => admin.listPartitionReassignments({})],
    ];
    for (const [api, call] of calls) {
      await assert.rejects(
        call(),
        (error: unknown) =>
          error instanceof KafkaJSNotImplemented && !error.retriable && error.message.includes(`${api} API`),
      );
    }
  });
});
