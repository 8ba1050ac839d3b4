import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { API_LIST, Apis } from "../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { decodeResponse } from "../../../broker/protocol/headers.ts";
import { Writer } from "../../../broker/protocol/primitives.ts";
import { encodeRecordBatch } from "../../../broker/protocol/record-batch/encoder.ts";
import { type Connection, DropConnection } from "../../../broker/server/connection.ts";
import { handlersByKey } from "../../../broker/server/handlers/index.ts";
import { waitFor } from "../../helpers/wait.ts";
import { requestFrame, useRoutedBroker } from "./broker-state-fixture.ts";

const connection = { clientHost: "192.0.2.7" } as Connection;

/** A flexible request header (v2) for any key and version, with no body, as a newer client would send. */
function headerOnly(apiKey: number, apiVersion: number): Buffer {
  return new Writer().int16(apiKey).int16(apiVersion).int32(5).nullableString("probe").uvarint(0).toBuffer();
}

describe("the request router", () => {
  const broker = useRoutedBroker();

  it("when a request is routed, then its handler's answer comes back under the request's correlation id", async () => {
    const frame = requestFrame(Apis.Metadata, 6, { topics: null, allowAutoTopicCreation: false }, 4242);
    const response = await broker.route(frame, connection);
    const { correlationId, body } = decodeResponse(Apis.Metadata, 6, Buffer.concat(response!).subarray(4));
    assert.equal(correlationId, 4242);
    assert.equal(body.clusterId, broker.state.cluster.clusterId);
  });

  it("when a handler answers at once, then the router returns the frame itself, not a promise", () => {
    const frame = requestFrame(Apis.Metadata, 6, { topics: null, allowAutoTopicCreation: false });
    const response = broker.route(frame, connection);
    assert.ok(Array.isArray(response));
  });

  it("when a handler runs, then it sees the header's client id and the connection's host", async () => {
    const joined = await broker.request(
      Apis.JoinGroup,
      3,
      {
        groupId: "routed",
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        memberId: "",
        groupInstanceId: null,
        protocolType: "consumer",
        protocols: [{ name: "roundrobin", metadata: Buffer.from("m") }],
      },
      { clientId: "till-4", clientHost: "192.0.2.7" },
    );
    assert.equal(joined?.errorCode, ErrorCode.NONE);
    const described = await broker.request(Apis.DescribeGroups, 4, {
      groups: ["routed"],
      includeAuthorizedOperations: false,
    });
    const member = described?.groups[0]?.members[0];
    assert.equal(member?.clientId, "till-4");
    assert.equal(member?.clientHost, "192.0.2.7");
  });

  it("when a produce asks for no acknowledgement, then nothing is answered and the records are appended", async () => {
    await broker.request(Apis.CreateTopics, 4, {
      topics: [{ name: "quiet", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    await waitFor(() => broker.state.topics.partition("quiet", 0)?.replication.isLeader === true);
    const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from("quiet"), timestamp: 1n }] });
    const response = await broker.request(Apis.Produce, 7, {
      transactionalId: null,
      acks: 0,
      timeoutMs: 1000,
      topicData: [{ name: "quiet", partitionData: [{ index: 0, records }] }],
    });
    assert.equal(response, null);
    assert.equal(broker.state.topics.partition("quiet", 0)?.highWatermark, 1n);
  });

  it("when a frame is too short for a header, then the connection is dropped", () => {
    assert.throws(() => broker.route(Buffer.alloc(7), connection), DropConnection);
  });

  const unserved = API_LIST.find((api) => !handlersByKey.has(api.apiKey));
  it("when a frame names an API the protocol knows but no handler serves, then the connection is dropped, as for a disabled API", {
    skip: unserved === undefined ? "every known API has a handler" : false,
  }, () => {
    assert.throws(
      () => broker.route(headerOnly(unserved!.apiKey, unserved!.minVersion), connection),
      (error) => error instanceof DropConnection && error.message === `unsupported api key ${unserved!.apiKey}`,
    );
  });

  it("when a frame names an API the broker does not serve, then the connection is dropped", () => {
    assert.throws(
      () => broker.route(headerOnly(99, 0), connection),
      (error) => error instanceof DropConnection && error.message === "unsupported api key 99",
    );
  });

  it("when a served API comes at a version outside its range, then the connection is dropped", () => {
    assert.throws(
      () => broker.route(headerOnly(Apis.Metadata.apiKey, 99), connection),
      /unsupported version 99 of api Metadata/,
    );
  });

  it("when ApiVersions comes at a version outside its range, then it is answered in the v0 layout with UNSUPPORTED_VERSION", async () => {
    const response = await broker.route(headerOnly(Apis.ApiVersions.apiKey, 9), connection);
    const { correlationId, body } = decodeResponse(Apis.ApiVersions, 0, Buffer.concat(response!).subarray(4));
    assert.equal(correlationId, 5);
    assert.equal(body.errorCode, ErrorCode.UNSUPPORTED_VERSION);
    assert.ok(body.apiKeys.some((api) => api.apiKey === Apis.Metadata.apiKey));
  });
});
