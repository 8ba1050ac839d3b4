import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { API_LIST, Apis } from "../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { decodeResponse } from "../../../broker/protocol/headers.ts";
import { Writer } from "../../../broker/protocol/primitives.ts";
import { encodeRecordBatch } from "../../../broker/protocol/record-batch/encoder.ts";
import { encodePlain } from "../../../broker/protocol/sasl/plain.ts";
import { METADATA_TOPIC } from "../../../broker/raft/raft-log.ts";
import { fetchRequest, RAFT_FETCH_VERSION } from "../../../broker/raft/raft-messages.ts";
import { type Connection, DropConnection } from "../../../broker/server/connection.ts";
import { handlersByKey } from "../../../broker/server/handlers/index.ts";
import { createRequestRouter } from "../../../broker/server/request-router.ts";
import { ListenerSecurity } from "../../../broker/server/security/listener-security.ts";
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

  it("when the broker is still catching up, then a client's Metadata and Fetch wait for it while ApiVersions and the quorum's DescribeQuorum and metadata-log Fetch are answered without it", {
    timeout: 30_000,
  }, async () => {
    let caughtUp!: () => void;
    broker.state.catchingUp = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    try {
      const metadata = broker.route(
        requestFrame(Apis.Metadata, 6, { topics: null, allowAutoTopicCreation: false }, 77),
        connection,
      );
      assert.ok(metadata instanceof Promise, "Metadata waits");
      let answered = false;
      void metadata.then(() => {
        answered = true;
      });
      const versions = broker.route(
        requestFrame(Apis.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" }),
        connection,
      );
      assert.ok(Array.isArray(versions), "ApiVersions is answered at once");
      const quorum = broker.route(
        requestFrame(Apis.DescribeQuorum, 0, {
          topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }],
        }),
        connection,
      );
      assert.ok(Array.isArray(quorum), "DescribeQuorum is answered at once");
      const metadataLogFetchBody = fetchRequest({
        replicaId: 7,
        epoch: broker.state.raft.epoch,
        fetchOffset: 0n,
        lastFetchedEpoch: 0,
        maxWaitMs: 0,
        maxBytes: 1 << 20,
      });
      const metadataLogFetch = broker.route(
        requestFrame(Apis.Fetch, RAFT_FETCH_VERSION, metadataLogFetchBody),
        connection,
      );
      const dataFetch = broker.route(
        requestFrame(Apis.Fetch, RAFT_FETCH_VERSION, { ...metadataLogFetchBody, replicaId: -1, topics: [] }),
        connection,
      );
      await metadataLogFetch;
      assert.ok(dataFetch instanceof Promise);
      assert.equal(answered, false, "Metadata still waits");
      caughtUp();
      broker.state.catchingUp = undefined;
      const { correlationId, body } = decodeResponse(Apis.Metadata, 6, Buffer.concat((await metadata)!).subarray(4));
      assert.equal(correlationId, 77);
      assert.equal(body.clusterId, broker.state.cluster.clusterId);
    } finally {
      caughtUp();
      broker.state.catchingUp = undefined;
    }
  });
});

describe("the request router on a SASL listener", () => {
  const broker = useRoutedBroker();
  const sasl = (): ListenerSecurity =>
    new ListenerSecurity(
      { name: "SASL_PLAINTEXT", securityProtocol: "SASL_PLAINTEXT", host: "127.0.0.1", port: 1 },
      {
        enabledMechanisms: ["PLAIN"],
        plainPassword: (_listener, user) => (user === "alice" ? "secret" : undefined),
        scramCredential: () => undefined,
      },
    );
  /** A connection that records being told to close after its answers. */
  const newConnection = () => {
    const state = { closingAfterResponses: false };
    const connection = {
      clientHost: "127.0.0.1",
      remote: "127.0.0.1:5",
      closeAfterResponses: () => {
        state.closingAfterResponses = true;
      },
    } as unknown as Connection;
    return { connection, state };
  };
  const body = <Res>(api: { name: string }, version: number, response: unknown) =>
    decodeResponse(api as never, version, Buffer.concat(response as Buffer[]).subarray(4)).body as Res;

  it("when a request other than ApiVersions or SaslHandshake comes first, then the connection is dropped unanswered", () => {
    const route = createRequestRouter(broker.state, sasl());
    const { connection } = newConnection();
    assert.throws(
      () => route(requestFrame(Apis.Metadata, 6, { topics: null, allowAutoTopicCreation: false }), connection),
      (error) => error instanceof DropConnection && /Metadata request before SASL authentication/.test(error.message),
    );
  });

  it("when the client authenticates, then requests are served and Metadata advertises this listener's endpoint", async () => {
    const route = createRequestRouter(broker.state, sasl());
    const { connection, state } = newConnection();
    await route(requestFrame(Apis.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" }), connection);
    const handshake = await route(requestFrame(Apis.SaslHandshake, 1, { mechanism: "PLAIN" }), connection);
    assert.equal(body<{ errorCode: number }>(Apis.SaslHandshake, 1, handshake).errorCode, ErrorCode.NONE);
    const authBytes = encodePlain({ username: "alice", password: "secret" });
    const authenticated = await route(requestFrame(Apis.SaslAuthenticate, 1, { authBytes }), connection);
    assert.equal(body<{ errorCode: number }>(Apis.SaslAuthenticate, 1, authenticated).errorCode, ErrorCode.NONE);
    const metadata = await route(
      requestFrame(Apis.Metadata, 6, { topics: [], allowAutoTopicCreation: false }),
      connection,
    );
    const brokers = body<{ brokers: { host: string; port: number }[] }>(Apis.Metadata, 6, metadata).brokers;
    // The routed broker registered no SASL_PLAINTEXT endpoint: it is left out, as Kafka leaves out a broker without the listener.
    assert.deepEqual(brokers, []);
    assert.equal(state.closingAfterResponses, false);
  });

  it("when the password is wrong, then the refusal is answered and the connection closes after it", async () => {
    const route = createRequestRouter(broker.state, sasl());
    const { connection, state } = newConnection();
    await route(requestFrame(Apis.SaslHandshake, 1, { mechanism: "PLAIN" }), connection);
    const authBytes = encodePlain({ username: "alice", password: "guess" });
    const refused = await route(requestFrame(Apis.SaslAuthenticate, 1, { authBytes }), connection);
    assert.equal(
      body<{ errorCode: number }>(Apis.SaslAuthenticate, 1, refused).errorCode,
      ErrorCode.SASL_AUTHENTICATION_FAILED,
    );
    assert.equal(state.closingAfterResponses, true);
  });

  it("when SaslHandshake v0 was answered, then the next frame is a bare token answered size-prefixed", async () => {
    const route = createRequestRouter(broker.state, sasl());
    const { connection } = newConnection();
    await route(requestFrame(Apis.SaslHandshake, 0, { mechanism: "PLAIN" }), connection);
    const answer = await route(encodePlain({ username: "alice", password: "secret" }), connection);
    assert.deepEqual(Buffer.concat(answer!), Buffer.from([0, 0, 0, 0]));
    const refusing = newConnection().connection;
    await route(requestFrame(Apis.SaslHandshake, 0, { mechanism: "PLAIN" }), refusing);
    assert.throws(() => route(encodePlain({ username: "alice", password: "x" }), refusing), DropConnection);
  });
});
