// The ledger's group settings from the environment, and how they become consumer options; a
// setting the client cannot honour is refused, and the max poll interval applies by default.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  clientGroupFeatures,
  DEFAULT_MAX_POLL_INTERVAL_MS,
  ledgerConsumerOptions,
  ledgerGroupOptionsFrom,
} from "../../../apps/ledger/group-options.ts";
import { ConfigError } from "../../../apps/shared/config.ts";
import { FRAME_GROUP_SETTINGS } from "../../../apps/shared/consumer-service.ts";
import { PartitionAssigners } from "../../../broker/client/index.ts";

const everything = { staticMembership: true, cooperativeSticky: true, consumerProtocol: true, maxPollInterval: true };
const nothing = { staticMembership: false, cooperativeSticky: false, consumerProtocol: false, maxPollInterval: false };

describe("ledger group options", () => {
  it("when nothing is set, then there are no group options and no consumer options beyond the frame's", () => {
    assert.deepEqual(ledgerGroupOptionsFrom({}), {});
    assert.deepEqual(ledgerGroupOptionsFrom({ LEDGER_ASSIGNOR: "", LEDGER_INSTANCE_ID: "" }), {});
    assert.deepEqual(ledgerConsumerOptions({}, nothing), {});
  });

  it("when LEDGER_GROUP_PROTOCOL, LEDGER_ASSIGNOR, LEDGER_INSTANCE_ID and LEDGER_SESSION_TIMEOUT_MS are set, then they are read, and bad values refused", () => {
    assert.deepEqual(
      ledgerGroupOptionsFrom({
        LEDGER_GROUP_PROTOCOL: "classic",
        LEDGER_ASSIGNOR: "cooperative-sticky",
        LEDGER_INSTANCE_ID: "ledger-1",
        LEDGER_SESSION_TIMEOUT_MS: "6000",
      }),
      { protocol: "classic", assignor: "cooperative-sticky", instanceId: "ledger-1", sessionTimeoutMs: 6000 },
    );
    assert.deepEqual(ledgerGroupOptionsFrom({ LEDGER_GROUP_PROTOCOL: "consumer" }), { protocol: "consumer" });
    assert.throws(
      () => ledgerGroupOptionsFrom({ LEDGER_ASSIGNOR: "range" }),
      /LEDGER_ASSIGNOR must be one of roundrobin, cooperative-sticky/,
    );
    assert.throws(() => ledgerGroupOptionsFrom({ LEDGER_GROUP_PROTOCOL: "kip848" }), ConfigError);
    assert.throws(() => ledgerGroupOptionsFrom({ LEDGER_SESSION_TIMEOUT_MS: "soon" }), /integer/);
    assert.throws(
      () => ledgerGroupOptionsFrom({ LEDGER_GROUP_PROTOCOL: "consumer", LEDGER_ASSIGNOR: "roundrobin" }),
      /broker assigns/,
    );
  });

  it("when the client has the features, then the settings become its options", () => {
    assert.deepEqual(
      ledgerConsumerOptions(
        { protocol: "classic", assignor: "cooperative-sticky", instanceId: "ledger-1", sessionTimeoutMs: 6000 },
        everything,
      ),
      {
        partitionAssigners: [PartitionAssigners.cooperativeSticky],
        groupInstanceId: "ledger-1",
        sessionTimeout: 6000,
        maxPollInterval: DEFAULT_MAX_POLL_INTERVAL_MS,
      },
    );
    assert.deepEqual(ledgerConsumerOptions({ assignor: "roundrobin" }, everything), {
      partitionAssigners: [PartitionAssigners.roundRobin],
      maxPollInterval: DEFAULT_MAX_POLL_INTERVAL_MS,
    });
    assert.deepEqual(ledgerConsumerOptions({ protocol: "consumer", maxPollIntervalMs: 3000 }, everything), {
      groupProtocol: "consumer",
      maxPollInterval: 3000,
    });
  });

  it("when the client lacks a feature asked for, then the settings are refused, never ignored", () => {
    assert.throws(() => ledgerConsumerOptions({ protocol: "consumer" }, nothing), /no consumer group protocol/);
    assert.throws(() => ledgerConsumerOptions({ assignor: "cooperative-sticky" }, nothing), /no cooperative-sticky/);
    assert.throws(() => ledgerConsumerOptions({ instanceId: "ledger-1" }, nothing), /no static membership/);
    assert.throws(() => ledgerConsumerOptions({ maxPollIntervalMs: 3000 }, nothing), /no max poll interval/);
  });

  it("when LEDGER_MAX_POLL_INTERVAL_MS is set, then it is read, and without it the frame's rebalance timeout applies", () => {
    assert.deepEqual(ledgerGroupOptionsFrom({ LEDGER_MAX_POLL_INTERVAL_MS: "4000" }), { maxPollIntervalMs: 4000 });
    assert.throws(() => ledgerGroupOptionsFrom({ LEDGER_MAX_POLL_INTERVAL_MS: "0" }), /integer >= 1/);
    assert.equal(DEFAULT_MAX_POLL_INTERVAL_MS, FRAME_GROUP_SETTINGS.rebalanceTimeout);
    assert.deepEqual(ledgerConsumerOptions({}, everything), { maxPollInterval: DEFAULT_MAX_POLL_INTERVAL_MS });
  });

  it("when the features are probed, then our client has static membership and cooperative-sticky, and kafkajs none of ours", () => {
    const ours = clientGroupFeatures({});
    assert.equal(ours.staticMembership, true);
    assert.equal(ours.cooperativeSticky, true);
    assert.equal(typeof ours.consumerProtocol, "boolean");
    assert.equal(ours.maxPollInterval, true);
    assert.deepEqual(clientGroupFeatures({ KAFKA_CLIENT: "kafkajs" }), nothing);
  });
});
