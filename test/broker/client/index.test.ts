// The public surface (broker/client/index.ts) against kafkajs's: the values it exports, and — checked
// by `tsc`, which type-checks this file — that code written against kafkajs's types compiles
// against ours and that both clients satisfy the factory's KafkaClient.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type * as kafkajs from "kafkajs";
import kafkajsExports, { Kafka as KafkajsKafka } from "kafkajs";
import * as ours from "../../../broker/client/index.ts";

type Assert<T extends true> = T;
/** True when Ours has every member Theirs has. */
type HasEveryMemberOf<Ours, Theirs> = [Exclude<keyof Theirs, keyof Ours>] extends [never] ? true : false;

export type PublicSurfaceChecks = [
  Assert<HasEveryMemberOf<ours.Producer, kafkajs.Producer>>,
  Assert<HasEveryMemberOf<ours.Consumer, kafkajs.Consumer>>,
  Assert<HasEveryMemberOf<ours.Admin, kafkajs.Admin>>,
  Assert<HasEveryMemberOf<typeof ours, typeof kafkajsExports>>,
];

/** Both clients fit the factory's type, kafkajs's consumer (which has no `assign`) included. */
export function bothFitKafkaClient(): ours.KafkaClient[] {
  const consumerOfKafkajs: ours.KafkaClientConsumer = new KafkajsKafka({ brokers: [] }).consumer({ groupId: "g" });
  const consumerOfOurs: ours.KafkaClientConsumer = new ours.Kafka({ brokers: [] }).consumer({ groupId: "g" });
  void [consumerOfKafkajs, consumerOfOurs];
  return [new KafkajsKafka({ brokers: [] }), new ours.Kafka({ brokers: [] })];
}

/** App code as written against kafkajs, with only the import swapped: it must compile unchanged. */
export async function kafkajsStyleApp(kafka: ours.Kafka): Promise<void> {
  const level: ours.logLevel = ours.logLevel.WARN;
  const producer: ours.Producer = kafka.producer({
    createPartitioner: ours.Partitioners.DefaultPartitioner,
    idempotent: true,
  });
  producer.on(producer.events.REQUEST, ({ payload }: ours.RequestEvent) => [
    payload.apiName,
    payload.correlationId,
    payload.size,
  ]);
  producer.on(producer.events.REQUEST_TIMEOUT, ({ payload }: ours.RequestTimeoutEvent) => payload.broker);
  producer.on(producer.events.REQUEST_QUEUE_SIZE, ({ payload }: ours.RequestQueueSizeEvent) => payload.queueSize);
  const headers: ours.IHeaders = { trace: "t", tags: ["a", Buffer.from("b")] };
  const sent: ours.RecordMetadata[] = await producer.send({
    topic: "t",
    compression: ours.CompressionTypes.GZIP,
    messages: [{ key: "k", value: "v", headers }],
  });

  const consumer: ours.Consumer = kafka.consumer({
    groupId: "g",
    partitionAssigners: [ours.PartitionAssigners.roundRobin],
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }: ours.ConsumerGroupJoinEvent) => payload.memberAssignment);
  consumer.on(consumer.events.REQUEST, ({ payload }: ours.RequestEvent) => payload.duration);
  await consumer.run({ eachMessage: async ({ message }: ours.EachMessagePayload) => void message.value?.toString() });
  const described: ours.GroupDescription = await consumer.describeGroup();
  const state: ours.ConsumerGroupState = described.state;
  const members: ours.MemberDescription[] = described.members;
  const metadata = ours.AssignerProtocol.MemberMetadata.decode(members[0]!.memberMetadata);

  const admin: ours.Admin = kafka.admin();
  admin.on(admin.events.REQUEST, ({ payload }: ours.RequestEvent) => payload.apiKey);
  const resourceType: ours.ConfigResourceTypes = ours.ConfigResourceTypes.TOPIC;
  const source: ours.ConfigSource = ours.ConfigSource.DEFAULT_CONFIG;
  await admin.describeConfigs({ resources: [{ type: resourceType, name: "t" }], includeSynonyms: false });
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      { type: ours.ConfigResourceTypes.TOPIC, name: "t", configEntries: [{ name: "retention.ms", value: "1" }] },
    ],
  });
  const acl: ours.AclEntry = {
    resourceType: ours.AclResourceTypes.TOPIC,
    resourceName: "t",
    resourcePatternType: ours.ResourcePatternTypes.LITERAL,
    principal: "User:app",
    host: "*",
    operation: ours.AclOperationTypes.READ,
    permissionType: ours.AclPermissionTypes.ALLOW,
  };
  const created: boolean = await admin.createAcls({ acl: [acl] });
  const acls: ours.DescribeAclResponse = await admin.describeAcls({ ...acl, resourceName: undefined });
  const offsets: ours.Offsets = {
    topics: [{ topic: "t", partitions: [{ partition: 0, offset: "1" } satisfies ours.PartitionOffset] }],
  };
  try {
    await admin.setOffsets({ groupId: "g", topic: "t", partitions: offsets.topics[0]!.partitions });
  } catch (error) {
    if (error instanceof ours.KafkaJSProtocolError) void error.type;
    if (error instanceof ours.KafkaJSNumberOfRetriesExceeded) void error.retryCount;
    if (error instanceof ours.KafkaJSSASLAuthenticationError || error instanceof ours.KafkaJSDeleteTopicRecordsError)
      throw error;
  }
  void [level, sent, state, metadata, source, created, acls];
}

describe("the public surface", () => {
  it("when an app imports any value kafkajs exports, then ours exports it too", () => {
    const missing = Object.keys(kafkajsExports).filter((name) => !(name in ours));
    assert.deepEqual(missing, []);
  });

  it("when an app uses kafkajs's constants, then ours have the same values", () => {
    const constants = [
      "logLevel",
      "CompressionTypes",
      "ConfigResourceTypes",
      "ConfigSource",
      "AclResourceTypes",
      "AclOperationTypes",
      "AclPermissionTypes",
      "ResourcePatternTypes",
    ] as const;
    for (const name of constants) assert.deepEqual({ ...ours[name] }, { ...kafkajsExports[name] }, name);
  });
});
