import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  interBrokerListener,
  ListenerConfigError,
  type ListenerSettings,
  parseListeners,
} from "../../../../broker/server/security/listeners.ts";

const settings = (overrides: Partial<ListenerSettings>): ListenerSettings => ({
  listeners: "",
  protocolMap: "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL",
  interBrokerListenerName: "PLAINTEXT",
  defaultHost: "127.0.0.1",
  defaultPort: 9092,
  ...overrides,
});

describe("listeners", () => {
  it("when listeners is not set, then one PLAINTEXT listener at --host/--port, as before", () => {
    assert.deepEqual(parseListeners(settings({})), [
      { name: "PLAINTEXT", securityProtocol: "PLAINTEXT", host: "127.0.0.1", port: 9092 },
    ]);
  });

  it("when several are listed, then each with its protocol from the map, names upper-cased, an empty host the default", () => {
    assert.deepEqual(
      parseListeners(
        settings({
          listeners: "PLAINTEXT://127.0.0.1:0, sasl_plaintext://:9093,CLIENTS://[::1]:9094",
          protocolMap: "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CLIENTS:SASL_PLAINTEXT",
        }),
      ),
      [
        { name: "PLAINTEXT", securityProtocol: "PLAINTEXT", host: "127.0.0.1", port: 0 },
        { name: "SASL_PLAINTEXT", securityProtocol: "SASL_PLAINTEXT", host: "127.0.0.1", port: 9093 },
        { name: "CLIENTS", securityProtocol: "SASL_PLAINTEXT", host: "::1", port: 9094 },
      ],
    );
  });

  it("when the inter-broker listener is named, then it is that one; it must exist and be PLAINTEXT", () => {
    const listeners = parseListeners(
      settings({
        listeners: "SASL_PLAINTEXT://127.0.0.1:9093,INTERNAL://127.0.0.1:9094",
        protocolMap: "INTERNAL:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        interBrokerListenerName: "internal",
      }),
    );
    assert.equal(interBrokerListener(listeners, "internal").port, 9094);
    assert.throws(() => interBrokerListener(listeners, "SASL_PLAINTEXT"), /must be a PLAINTEXT listener/);
    assert.throws(
      () => parseListeners(settings({ listeners: "SASL_PLAINTEXT://127.0.0.1:9093" })),
      /PLAINTEXT is not in listeners/,
    );
  });

  it("when an entry is malformed, repeated, unmapped or SSL, then ListenerConfigError", () => {
    for (const [listeners, protocolMap] of [
      ["127.0.0.1:9092", undefined],
      ["PLAINTEXT://127.0.0.1:9092,PLAINTEXT://127.0.0.1:9093", undefined],
      ["PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://127.0.0.1:9092", undefined],
      ["PLAINTEXT://127.0.0.1:9092,OTHER://127.0.0.1:9093", undefined],
      ["PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9093", undefined],
      ["PLAINTEXT://127.0.0.1:70000", undefined],
      ["PLAINTEXT://127.0.0.1:9092", "PLAINTEXT"],
      ["PLAINTEXT://127.0.0.1:9092", "PLAINTEXT:KERBEROS"],
    ] as const) {
      assert.throws(
        () => parseListeners(settings({ listeners, ...(protocolMap === undefined ? {} : { protocolMap }) })),
        ListenerConfigError,
        `${listeners} / ${protocolMap}`,
      );
    }
  });
});
