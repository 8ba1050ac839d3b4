import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { useBroker } from "../../../helpers/broker-process.ts";
import { useWireClient } from "../../../helpers/wire-client.ts";

describe("FindCoordinator", () => {
  const broker = useBroker();
  const client = useWireClient(broker);

  it("when a group's coordinator is asked for, then it is this broker at its bound address, for every version", async () => {
    for (const version of [0, 1, 2]) {
      const response = await client.request(Apis.FindCoordinator, version, { key: "ledger", keyType: 0 });
      assert.equal(response.errorCode, ErrorCode.NONE, `v${version}`);
      assert.deepEqual([response.nodeId, response.host, response.port], [0, broker.host, broker.port]);
    }
  });

  it("when a transaction coordinator is asked for, then COORDINATOR_NOT_AVAILABLE says transactions are not supported", async () => {
    const response = await client.request(Apis.FindCoordinator, 2, { key: "pos-tx", keyType: 1 });
    assert.equal(response.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.equal(response.errorMessage, "transactions are not supported");
    assert.deepEqual([response.nodeId, response.host, response.port], [-1, "", -1]);
  });
});
