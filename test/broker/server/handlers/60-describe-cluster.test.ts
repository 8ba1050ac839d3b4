import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { useBroker } from "../../../helpers/broker-process.ts";
import { useWireClient } from "../../../helpers/wire-client.ts";

describe("DescribeCluster", () => {
  const broker = useBroker();
  const client = useWireClient(broker);

  it("when a lone broker is described, then it is the one broker and the controller, under the cluster id Metadata gives", async () => {
    const described = await client.request(Apis.DescribeCluster, 0, { includeClusterAuthorizedOperations: false });
    const metadata = await client.request(Apis.Metadata, 6, { topics: [], allowAutoTopicCreation: false });
    assert.equal(described.errorCode, ErrorCode.NONE);
    assert.equal(described.clusterId, metadata.clusterId);
    assert.equal(described.controllerId, 0);
    assert.deepEqual(
      described.brokers.map((b) => [b.brokerId, b.host, b.port]),
      [[0, broker.host, broker.port]],
    );
  });
});
