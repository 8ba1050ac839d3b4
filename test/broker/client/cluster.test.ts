import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Cluster, type ClusterOptions, CoordinatorType } from "../../../broker/client/cluster.ts";
import {
  KafkaJSBrokerNotFound,
  KafkaJSConnectionError,
  KafkaJSNoBrokerAvailableError,
  KafkaJSTopicMetadataNotLoaded,
} from "../../../broker/client/errors.ts";
import { producerEvents } from "../../../broker/client/events.ts";
import { InstrumentationEmitter } from "../../../broker/client/instrumentation.ts";
import { Apis } from "../../../broker/protocol/apis.ts";
import type { FindCoordinatorRequest } from "../../../broker/protocol/messages/index.ts";
import { type BrokerProcess, startBroker } from "../../helpers/broker-process.ts";
import { ourCluster, rejectionOf, silentLogger } from "./helpers.ts";

const quickRetry = { retries: 2, initialRetryTime: 20, maxRetryTime: 50 };

describe("Cluster", () => {
  let broker: BrokerProcess;
  const clusters: Cluster[] = [];
  const cluster = (options: Partial<Parameters<typeof ourCluster>[1]> = {}) => {
    const made = ourCluster(broker.address, { clientId: "cluster-test", retry: quickRetry, ...options });
    clusters.push(made);
    return made;
  };
  const seeded = (brokers: ClusterOptions["brokers"]) => {
    const made = new Cluster({
      brokers,
      clientId: "cluster-test",
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      retry: quickRetry,
      logger: silentLogger,
    });
    clusters.push(made);
    return made;
  };
  /** The API names of every request the cluster's connections send from now on. */
  const recordRequests = (target: Cluster): string[] => {
    const apis: string[] = [];
    const emitter = new InstrumentationEmitter(producerEvents, "producer", silentLogger);
    emitter.on(producerEvents.REQUEST, (event) => apis.push(event.payload.apiName));
    target.instrument(emitter.network);
    return apis;
  };

  before(async () => {
    broker = await startBroker({ config: { "num.partitions": 3 } });
  });
  after(async () => {
    for (const made of clusters) made.disconnect();
    await broker?.cleanup();
  });

  it("when connected, then it knows the broker at its advertised address, the controller and the cluster id", async () => {
    const connected = cluster();
    assert.equal(connected.isConnected, false);
    await connected.connect();
    assert.equal(connected.isConnected, true);
    assert.deepEqual(connected.brokers, [{ nodeId: 0, host: broker.host, port: broker.port }]);
    assert.equal(connected.controllerId, 0);
    assert.match(connected.clusterId ?? "", /^[\w-]{22}$/);
    connected.disconnect();
    assert.equal(connected.isConnected, false);
    assert.deepEqual(connected.brokers, []);
  });

  it("when topics are targeted, then their metadata is loaded (auto-created here), partitions in order, each led by the broker", async () => {
    const targeting = cluster();
    await targeting.addTargetTopics(["targeted"]);
    assert.equal(targeting.hasTopic("targeted"), true);
    assert.deepEqual(
      targeting.topicMetadata("targeted").partitions.map((p) => [p.partitionId, p.leader]),
      [
        [0, 0],
        [1, 0],
        [2, 0],
      ],
    );
    const { nodeId } = await targeting.leaderFor("targeted", 2);
    assert.equal(nodeId, 0);
    const noLeader = await rejectionOf(targeting.leaderFor("targeted", 7));
    assert.equal(noLeader.type, "LEADER_NOT_AVAILABLE");
    assert.throws(() => targeting.topicMetadata("never-targeted"), KafkaJSTopicMetadataNotLoaded);
  });

  it("when topic ids are asked for, then metadata comes at a version with them and a topic is found by its id; before, neither", async () => {
    const plain = cluster();
    await plain.addTargetTopics(["with-ids"]);
    assert.equal(plain.topicMetadata("with-ids").topicId, undefined);
    const versions: number[] = [];
    const withIds = cluster();
    const emitter = new InstrumentationEmitter(producerEvents, "producer", silentLogger);
    emitter.on(producerEvents.REQUEST, (event) => {
      if (event.payload.apiName === "Metadata") versions.push(event.payload.apiVersion);
    });
    withIds.instrument(emitter.network);
    withIds.useTopicIds();
    await withIds.addTargetTopics(["with-ids"]);
    assert.ok(versions.length > 0 && versions.every((version) => version >= 10), `versions ${versions}`);
    const topicId = withIds.topicMetadata("with-ids").topicId;
    assert.match(topicId ?? "", /^[0-9a-f]{32}$/);
    assert.notEqual(topicId, "0".repeat(32));
    assert.equal(withIds.topicNameById(topicId!), "with-ids");
    assert.equal(withIds.topicNameById("f".repeat(32)), undefined);
  });

  it("when a targeted topic does not exist and may not be created, then adding it fails and later refreshes do not ask for it again", async () => {
    const strict = cluster({ allowAutoTopicCreation: false });
    await strict.connect();
    const error = await rejectionOf(strict.addTargetTopics(["absent"]));
    assert.match(`${error.type ?? ""} ${(error.cause as { type?: string })?.type ?? ""}`, /UNKNOWN_TOPIC_OR_PARTITION/);
    await strict.refreshMetadata();
    assert.equal(strict.hasTopic("absent"), false);
  });

  it("when refreshes are asked for at the same time, then they share one Metadata request", async () => {
    const shared = cluster();
    await shared.connect();
    const apis = recordRequests(shared);
    const first = shared.refreshMetadata();
    const second = shared.refreshMetadata();
    assert.equal(first, second);
    await Promise.all([first, second]);
    assert.deepEqual(apis, ["Metadata"]);
    await shared.refreshMetadataIfNecessary([]);
    assert.deepEqual(apis, ["Metadata"], "nothing new to learn: no request");
  });

  it("when a node is not in the metadata, then KafkaJSBrokerNotFound", async () => {
    const connected = cluster();
    await connected.connect();
    await assert.rejects(connected.connectionTo(42), KafkaJSBrokerNotFound);
  });

  it("when a seed broker is unreachable, then another seed is used", async () => {
    const twoSeeds = seeded(["127.0.0.1:1", broker.address]);
    await twoSeeds.connect();
    assert.equal(twoSeeds.brokers[0]?.port, broker.port);
  });

  it("when the seeds come from a function, then it is asked for them", async () => {
    let asked = 0;
    const dynamic = seeded(async () => {
      asked++;
      return [broker.address];
    });
    await dynamic.connect();
    assert.equal(asked, 1);
    assert.equal(dynamic.isConnected, true);
  });

  it("when no broker is configured or none is reachable, then the connection fails with what kafkajs raises", async () => {
    const none = seeded([]);
    const noBrokers = await rejectionOf(none.anyConnection());
    assert.ok(noBrokers instanceof KafkaJSNoBrokerAvailableError);
    assert.equal(noBrokers.message, "No brokers configured");
    await assert.rejects(seeded(["127.0.0.1:1"]).anyConnection(), KafkaJSConnectionError);
  });

  it("when a group's coordinator is looked for, then the connection to the broker that coordinates it", async () => {
    const connected = cluster();
    const coordinator = await connected.findGroupCoordinator("some-group");
    assert.equal(coordinator.isConnected, true);
  });

  it("when a transactional id's coordinator is looked for, then FindCoordinator asks with key type 1 and connects to it", async () => {
    const connected = cluster();
    const keyTypes: number[] = [];
    const seed = await connected.anyConnection();
    const original = seed.request.bind(seed) as typeof seed.request;
    seed.request = ((api, body, options) => {
      if (api.apiKey === Apis.FindCoordinator.apiKey) keyTypes.push((body as FindCoordinatorRequest).keyType);
      return original(api, body, options);
    }) as typeof seed.request;
    const coordinator = await connected.findCoordinator("some-transactional-id", CoordinatorType.TRANSACTION);
    assert.equal(coordinator.isConnected, true);
    assert.deepEqual(keyTypes.slice(-1), [CoordinatorType.TRANSACTION]);
  });

  it("when the broker restarted, then the next refresh reconnects", async () => {
    const surviving = cluster();
    await surviving.connect();
    await broker.restart();
    await surviving.refreshMetadata();
    assert.deepEqual(surviving.brokers, [{ nodeId: 0, host: broker.host, port: broker.port }]);
  });
});
