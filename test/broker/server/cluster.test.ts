import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type BrokerNode, brokersOnListener } from "../../../broker/server/cluster.ts";

const brokers: BrokerNode[] = [
  {
    nodeId: 0,
    host: "10.0.0.1",
    port: 9092,
    rack: null,
    endpoints: [
      { name: "PLAINTEXT", host: "10.0.0.1", port: 9092 },
      { name: "SASL_PLAINTEXT", host: "10.0.0.1", port: 9093 },
    ],
  },
  {
    nodeId: 1,
    host: "10.0.0.2",
    port: 9092,
    rack: "r1",
    endpoints: [{ name: "PLAINTEXT", host: "10.0.0.2", port: 9092 }],
  },
  { nodeId: 2, host: "10.0.0.3", port: 9092, rack: null },
];

describe("brokers as a listener's clients see them", () => {
  it("when a listener is named, then each broker at that listener's endpoint; one without it is left out, as Kafka does", () => {
    assert.deepEqual(
      brokersOnListener(brokers, "SASL_PLAINTEXT").map((b) => [b.nodeId, b.host, b.port]),
      [
        [0, "10.0.0.1", 9093],
        [2, "10.0.0.3", 9092],
      ],
    );
    assert.deepEqual(
      brokersOnListener(brokers, "PLAINTEXT").map((b) => [b.nodeId, b.port, b.rack]),
      [
        [0, 9092, null],
        [1, 9092, "r1"],
        [2, 9092, null],
      ],
    );
  });

  it("when no listener is named, then the brokers as registered (their first endpoint)", () => {
    assert.equal(brokersOnListener(brokers, undefined), brokers);
  });
});
