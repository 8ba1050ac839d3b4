import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConnectionQuotas, parsePerIpOverrides } from "../../../broker/server/connection-quotas.ts";

describe("ConnectionQuotas", () => {
  const quotas = (maxConnections: number, maxConnectionsPerIp: number, overrides = "") =>
    new ConnectionQuotas({ maxConnections, maxConnectionsPerIp, perIpOverrides: parsePerIpOverrides(overrides) });

  it("when an address reaches max.connections.per.ip, then its next connection is refused and others' are not", () => {
    const q = quotas(10, 2);
    assert.equal(q.admit("10.0.0.1").admitted, true);
    assert.equal(q.admit("10.0.0.1").admitted, true);
    const refused = q.admit("10.0.0.1");
    assert.equal(refused.admitted, false);
    assert.equal(!refused.admitted && refused.limit, "max.connections.per.ip");
    assert.equal(q.admit("10.0.0.2").admitted, true);
    assert.equal(q.connections, 3);
  });

  it("when the broker holds max.connections, then any new connection is refused until one closes", () => {
    const q = quotas(2, 10);
    q.admit("10.0.0.1");
    q.admit("10.0.0.2");
    const refused = q.admit("10.0.0.3");
    assert.equal(!refused.admitted && refused.limit, "max.connections");
    q.release("10.0.0.1");
    assert.equal(q.admit("10.0.0.3").admitted, true);
  });

  it("when an address has an override, then its limit replaces max.connections.per.ip", () => {
    const q = quotas(100, 1, "127.0.0.1:3, ::1:0");
    for (let i = 0; i < 3; i++) assert.equal(q.admit("127.0.0.1").admitted, true);
    assert.equal(q.admit("127.0.0.1").admitted, false);
    assert.equal(q.admit("::1").admitted, false, "an IPv6 address keeps its colons");
  });

  it("when overrides are malformed, then parsing names the bad pair", () => {
    assert.throws(() => parsePerIpOverrides("127.0.0.1"), /host:count pairs, got "127.0.0.1"/);
    assert.throws(() => parsePerIpOverrides("a:b"), /got "a:b"/);
    assert.deepEqual(parsePerIpOverrides(""), new Map());
  });
});
