// The fault guard: loopback remote addresses only, the right token only, and nothing when faults
// are off; and which bind addresses count as loopback for turning the faults on at all.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { faultRefusal, faultsAllowedOn, isLoopbackAddress } from "../../../apps/console/fault-guard.ts";

const on = { token: "s3cret", enabled: true };

describe("faultRefusal", () => {
  it("when the request comes from this machine with the token, then it may act", () => {
    for (const address of ["127.0.0.1", "::1", "::ffff:127.0.0.1", "127.1.2.3"])
      assert.equal(faultRefusal(on, address, "s3cret"), null, address);
  });

  it("when the request comes from another address, then it is refused even with the token", () => {
    for (const address of ["10.0.0.5", "192.168.1.20", "::ffff:10.0.0.5", "fe80::1", "128.0.0.1", undefined])
      assert.match(faultRefusal(on, address, "s3cret") ?? "", /only requests from this machine/, String(address));
  });

  it("when the token is missing or wrong, then it is refused", () => {
    assert.match(faultRefusal(on, "127.0.0.1", undefined) ?? "", /need the token in the x-console-token header/);
    assert.match(faultRefusal(on, "127.0.0.1", "") ?? "", /need the token/);
    assert.match(faultRefusal(on, "127.0.0.1", "s3cre") ?? "", /wrong x-console-token/);
    assert.match(faultRefusal(on, "127.0.0.1", "s3cret!") ?? "", /wrong x-console-token/);
  });

  it("when faults are disabled, then everything is refused", () => {
    assert.match(faultRefusal({ ...on, enabled: false }, "127.0.0.1", "s3cret") ?? "", /disabled/);
  });
});

describe("faultsAllowedOn", () => {
  it("when the console binds a loopback address, then faults may be on; on any other, not", () => {
    assert.deepEqual(["127.0.0.1", "localhost", "::1", "0.0.0.0", "::", "192.168.1.20"].map(faultsAllowedOn), [
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    assert.equal(isLoopbackAddress("0:0:0:0:0:0:0:1"), true);
  });
});
