import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import { useRoutedBroker } from "../broker-state-fixture.ts";
import { joinRequest, stableMember } from "./group-requests.ts";

describe("ListGroups", () => {
  const broker = useRoutedBroker();

  const listed = async (version: number) => {
    const response = await broker.request(Apis.ListGroups, version, {});
    assert.equal(response?.errorCode, ErrorCode.NONE);
    return response!.groups.map((g) => [g.groupId, g.protocolType]).sort();
  };

  it("when no group exists, then the list is empty", async () => {
    assert.deepEqual(await listed(2), []);
  });

  it("when groups exist in any state, then each is listed once with its protocol type, at every version", async () => {
    await stableMember(broker, "listed-stable");
    await broker.request(Apis.JoinGroup, 3, joinRequest("listed-connect", "", { protocolType: "connect" }));
    for (const version of [0, 1, 2]) {
      assert.deepEqual(await listed(version), [
        ["listed-connect", "connect"],
        ["listed-stable", "consumer"],
      ]);
    }
  });
});
