import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { silentLogger } from "../../../../broker/server/logger.ts";
import {
  transactionPartitionFor,
  transactionPartitions,
} from "../../../../broker/server/transactions/transaction-partitions.ts";
import { waitFor } from "../../../helpers/wait.ts";

describe("the __transaction_state partitions a coordinator serves", () => {
  it("when a transactional id is placed, then it is Kafka's abs(hashCode) % partitions, as for a group", () => {
    // "tx".hashCode() = 3716; "polygenelubricants".hashCode() is Integer.MIN_VALUE, which maps to 0.
    assert.equal(transactionPartitionFor("tx", 50), 3716 % 50);
    assert.equal(transactionPartitionFor("polygenelubricants", 50), 0);
  });

  it("when a partition is led, then it loads and serves, and its leader epoch is the coordinator epoch; resigned, NOT_COORDINATOR", async () => {
    const loaded: number[] = [];
    const partitions = transactionPartitions({
      awaitLoadable: async () => true,
      load: (partition) => {
        loaded.push(partition);
        return { transactionalIds: 0 };
      },
      unload: async () => 0,
      now: () => 0,
      log: silentLogger,
    });
    partitions.onElection(4, 7);
    assert.equal(partitions.partitionError(4), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    await partitions.startup();
    await waitFor(() => partitions.partitionError(4) === ErrorCode.NONE);
    assert.deepEqual(loaded, [4]);
    assert.equal(partitions.leaderEpochOf(4), 7);
    partitions.onResignation(4, 8);
    assert.equal(partitions.partitionError(4), ErrorCode.NOT_COORDINATOR);
    assert.equal(partitions.leaderEpochOf(4), undefined);
  });
});
