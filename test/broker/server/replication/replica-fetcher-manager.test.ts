import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FetchResponse } from "../../../../broker/protocol/messages/index.ts";
import { silentLogger } from "../../../../broker/server/logger.ts";
import type { LeaderAddress, LeaderEndpoint } from "../../../../broker/server/replication/leader-endpoint.ts";
import { defaultFetcherSettings } from "../../../../broker/server/replication/replica-fetcher.ts";
import { ReplicaFetcherManager } from "../../../../broker/server/replication/replica-fetcher-manager.ts";

/** An endpoint whose requests never settle until it is closed, and that remembers being made and closed. */
function idleEndpoints() {
  const made: { leader: LeaderAddress; closed: boolean }[] = [];
  const endpointFor = (leader: LeaderAddress): LeaderEndpoint => {
    const entry = { leader, closed: false };
    made.push(entry);
    let fail = (_: Error) => {};
    const never = <T>() => new Promise<T>((_, reject) => (fail = reject));
    return {
      brokerId: leader.brokerId,
      fetch: () => never<FetchResponse>(),
      offsetsForLeaderEpoch: () => never(),
      listOffsets: () => never(),
      close: () => {
        entry.closed = true;
        fail(new Error("closed"));
      },
    };
  };
  return { made, endpointFor };
}

const leaderAt = (brokerId: number, port = 9000 + brokerId): LeaderAddress => ({ brokerId, host: "127.0.0.1", port });
const initial = (partition: number) => ({ topic: "sales", partition, currentLeaderEpoch: 0, initOffset: 0n });

describe("ReplicaFetcherManager", () => {
  it("when partitions of one leader are added, then one fetcher fetches them all; another leader gets its own", async () => {
    const endpoints = idleEndpoints();
    const manager = new ReplicaFetcherManager(
      1,
      { replica: () => undefined },
      endpoints.endpointFor,
      defaultFetcherSettings,
      silentLogger,
    );
    manager.addPartitions(leaderAt(0), [initial(0), initial(1)]);
    manager.addPartitions(leaderAt(0), [initial(2)]);
    manager.addPartitions(leaderAt(2), [initial(3)]);
    assert.equal(manager.fetcherCount, 2);
    assert.equal(manager.fetcherOf("sales", 0), manager.fetcherOf("sales", 2));
    assert.equal(manager.fetcherOf("sales", 0)?.partitionCount, 3);
    assert.notEqual(manager.fetcherOf("sales", 3), manager.fetcherOf("sales", 0));
    await manager.shutdown();
    assert.ok(endpoints.made.every((e) => e.closed));
  });

  it("when a partition's leader moves, then it leaves the old fetcher, and a fetcher left without partitions is stopped", async () => {
    const endpoints = idleEndpoints();
    const manager = new ReplicaFetcherManager(
      1,
      { replica: () => undefined },
      endpoints.endpointFor,
      defaultFetcherSettings,
      silentLogger,
    );
    manager.addPartitions(leaderAt(0), [initial(0)]);
    manager.addPartitions(leaderAt(2), [initial(0)]);
    assert.equal(manager.fetcherOf("sales", 0)?.endpoint.brokerId, 2);
    await manager.shutdownIdleFetchers();
    assert.equal(manager.fetcherCount, 1);
    assert.deepEqual(
      endpoints.made.map((e) => [e.leader.brokerId, e.closed]),
      [
        [0, true],
        [2, false],
      ],
    );

    manager.removePartitions([{ topic: "sales", partition: 0 }]);
    assert.equal(manager.fetcherOf("sales", 0), undefined);
    await manager.shutdownIdleFetchers();
    assert.equal(manager.fetcherCount, 0);
  });

  it("when a leader restarts on another port, then its partitions get a fetcher for the new address", async () => {
    const endpoints = idleEndpoints();
    const manager = new ReplicaFetcherManager(
      1,
      { replica: () => undefined },
      endpoints.endpointFor,
      defaultFetcherSettings,
      silentLogger,
    );
    manager.addPartitions(leaderAt(0, 9000), [{ ...initial(0), currentLeaderEpoch: 0 }]);
    manager.addPartitions(leaderAt(0, 9100), [{ ...initial(0), currentLeaderEpoch: 1 }]);
    assert.equal(endpoints.made.at(-1)?.leader.port, 9100);
    await manager.shutdownIdleFetchers();
    assert.equal(manager.fetcherCount, 1);
    await manager.shutdown();
  });
});
