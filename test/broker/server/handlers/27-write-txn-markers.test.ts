import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";
import { createTopic, markersIn, produceTransactional } from "../transactions/transaction-fixture.ts";

describe("WriteTxnMarkers", () => {
  const broker = useRoutedBroker();

  it("when a coordinator sends markers, then each partition led here gets its marker and NONE, an unknown one UNKNOWN_TOPIC_OR_PARTITION", async () => {
    await createTopic(broker, "markers-a");
    const producer = { producerId: 4242n, producerEpoch: 0 };
    assert.equal(await produceTransactional(broker, "markers-a", 0, producer, 0, ["x"]), ErrorCode.NONE);
    const response = await broker.request(Apis.WriteTxnMarkers, 1, {
      markers: [
        {
          ...producer,
          transactionResult: true,
          coordinatorEpoch: 0,
          topics: [
            { name: "markers-a", partitionIndexes: [0, 3] },
            { name: "markers-missing", partitionIndexes: [0] },
          ],
        },
      ],
    });
    assert.deepEqual(response, {
      markers: [
        {
          producerId: 4242n,
          topics: [
            {
              name: "markers-a",
              partitions: [
                { partitionIndex: 0, errorCode: ErrorCode.NONE },
                { partitionIndex: 3, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
              ],
            },
            {
              name: "markers-missing",
              partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }],
            },
          ],
        },
      ],
    });
    assert.deepEqual(markersIn(broker, "markers-a", 0), [{ producerId: 4242n, commit: true }]);
  });
});
