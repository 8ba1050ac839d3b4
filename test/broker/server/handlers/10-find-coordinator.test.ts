import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { BrokerState } from "../../../../broker/server/broker-state.ts";
import type { ClusterView, TopicState } from "../../../../broker/server/cluster.ts";
import { offsetsPartitionFor } from "../../../../broker/server/groups/group-metadata-manager.ts";
import { findCoordinatorHandler } from "../../../../broker/server/handlers/10-find-coordinator.ts";
import { useBroker } from "../../../helpers/broker-process.ts";
import { waitFor } from "../../../helpers/wait.ts";
import { useWireClient } from "../../../helpers/wire-client.ts";

describe("FindCoordinator", () => {
  const broker = useBroker({ config: { "transaction.state.log.num.partitions": 2 } });
  const client = useWireClient(broker);

  it("when a group's coordinator is asked for, then it is this broker at its bound address, for every version", async () => {
    for (const version of [0, 1, 2]) {
      const response = await client.request(Apis.FindCoordinator, version, { key: "ledger", keyType: 0 });
      assert.equal(response.errorCode, ErrorCode.NONE, `v${version}`);
      assert.deepEqual([response.nodeId, response.host, response.port], [0, broker.host, broker.port]);
    }
  });

  it("when v4 asks for a batch of keys, then each key gets its own coordinator entry", async () => {
    const response = await client.request(Apis.FindCoordinator, 4, {
      key: "",
      keyType: 0,
      coordinatorKeys: ["ledger", "kip848"],
    });
    assert.deepEqual(
      response.coordinators?.map((c) => [c.key, c.nodeId, c.host, c.port, c.errorCode]),
      [
        ["ledger", 0, broker.host, broker.port, ErrorCode.NONE],
        ["kip848", 0, broker.host, broker.port, ErrorCode.NONE],
      ],
    );
  });

  it("when a transaction coordinator is first asked for, then COORDINATOR_NOT_AVAILABLE until __transaction_state is made, then this broker", async () => {
    const first = await client.request(Apis.FindCoordinator, 2, { key: "pos-tx", keyType: 1 });
    assert.ok([ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NONE].includes(first.errorCode as 0));
    await waitFor(
      async () =>
        (await client.request(Apis.FindCoordinator, 2, { key: "pos-tx", keyType: 1 })).errorCode === ErrorCode.NONE,
      { message: "the transaction coordinator found" },
    );
    const found = await client.request(Apis.FindCoordinator, 2, { key: "pos-tx", keyType: 1 });
    assert.deepEqual([found.nodeId, found.host, found.port], [0, broker.host, broker.port]);
  });

  it("when the key type is neither a group nor a transaction, then INVALID_REQUEST", async () => {
    const response = await client.request(Apis.FindCoordinator, 2, { key: "x", keyType: 7 });
    assert.equal(response.errorCode, ErrorCode.INVALID_REQUEST);
  });
});

describe("FindCoordinator on a cluster member", () => {
  const brokers = [0, 1, 2].map((nodeId) => ({ nodeId, host: "127.0.0.1", port: 9000 + nodeId, rack: null }));

  /** A broker whose metadata holds `__consumer_offsets` (3 partitions) led as `leaders` says, or no such topic. */
  const askedOf = async (leaders: number[] | null, groupId: string) => {
    const offsetsTopic: TopicState | undefined =
      leaders === null
        ? undefined
        : {
            name: "__consumer_offsets",
            topicId: Buffer.alloc(16, 7),
            isInternal: true,
            configs: {},
            partitions: leaders.map((leader, partition) => ({
              partition,
              leader,
              leaderEpoch: 3,
              replicas: [0, 1, 2],
              isr: leader < 0 ? [] : [leader],
            })),
          };
    const cluster: ClusterView = {
      clusterId: "cluster",
      brokers,
      controllerId: 0,
      topic: (name) => (name === "__consumer_offsets" ? offsetsTopic : undefined),
      topicNames: () => (offsetsTopic ? [offsetsTopic.name] : []),
      allTopics: () => (offsetsTopic ? [offsetsTopic] : []),
    };
    const broker = { cluster, groups: { partitionFor: (id: string) => offsetsPartitionFor(id, 3) } } as BrokerState;
    const context = { broker, apiVersion: 2, clientId: "test", clientHost: "127.0.0.1" };
    return findCoordinatorHandler.handle({ key: groupId, keyType: 0 }, context);
  };

  it("when the group's __consumer_offsets partition has a leader, then that broker is named", async () => {
    const partition = offsetsPartitionFor("ledger", 3);
    const leaders = [0, 1, 2].map((p) => (p === partition ? 2 : 0));
    const response = await askedOf(leaders, "ledger");
    assert.equal(response?.errorCode, ErrorCode.NONE);
    assert.deepEqual([response?.nodeId, response?.host, response?.port], [2, "127.0.0.1", 9002]);
  });

  it("when the group's partition has no leader, then COORDINATOR_NOT_AVAILABLE and no node", async () => {
    const partition = offsetsPartitionFor("ledger", 3);
    const response = await askedOf(
      [0, 1, 2].map((p) => (p === partition ? -1 : 1)),
      "ledger",
    );
    assert.equal(response?.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.deepEqual([response?.nodeId, response?.host, response?.port], [-1, "", -1]);
  });

  it("when __consumer_offsets does not exist yet, then COORDINATOR_NOT_AVAILABLE (the client asks again)", async () => {
    const response = await askedOf(null, "ledger");
    assert.equal(response?.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.equal(response?.nodeId, -1);
  });

  it("when the leader named by the metadata is not a serving broker (fenced), then COORDINATOR_NOT_AVAILABLE", async () => {
    const response = await askedOf([7, 7, 7], "ledger");
    assert.equal(response?.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });

  it("when a transactional id's coordinator is asked for before __transaction_state exists, then the topic is asked for once per ask and COORDINATOR_NOT_AVAILABLE", async () => {
    let asked = 0;
    const cluster = { clusterId: "c", brokers, controllerId: 0, topic: () => undefined } as unknown as ClusterView;
    const broker = {
      cluster,
      transactions: { partitionFor: () => 0 },
      ensureTransactionStateTopic: () => {
        asked += 1;
      },
    } as unknown as BrokerState;
    const response = await findCoordinatorHandler.handle(
      { key: "tx", keyType: 1 },
      { broker, apiVersion: 2, clientId: "test", clientHost: "127.0.0.1" },
    );
    assert.equal(response?.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.equal(asked, 1);
  });
});
