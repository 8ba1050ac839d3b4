// Acceptance: SASL/PLAIN and SASL/SCRAM-SHA-256/512 on a broker process with a PLAINTEXT and a
// SASL_PLAINTEXT listener — kafkajs, kcat (librdkafka) and our client authenticate, produce and
// consume on the SASL listener; a wrong password is refused with an authentication error and
// nothing is served; requests before authentication close the connection, as Kafka's do.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type Consumer, type KafkaConfig as KafkajsConfig, Kafka as KafkajsKafka, logLevel } from "kafkajs";
import { KafkaJSSASLAuthenticationError } from "../../broker/client/errors.ts";
import { Kafka as OurKafka } from "../../broker/client/kafka.ts";
import { logLevel as ourLogLevel } from "../../broker/client/logger.ts";
import type { SASLOptions } from "../../broker/client/types.ts";
import { Apis } from "../../broker/protocol/apis.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import { encodeRequest } from "../../broker/protocol/headers.ts";
import { encodePlain } from "../../broker/protocol/sasl/plain.ts";
import { credentialOf, SCRAM_MECHANISMS, saltPasswordSync } from "../../broker/protocol/sasl/scram.ts";
import { runKcat } from "../helpers/kcat.ts";
import { KCAT, needs } from "../helpers/system-tools.ts";
import { waitFor } from "../helpers/wait.ts";
import { WireClient } from "../helpers/wire-client.ts";
import { quickConsumerConfig, useAcceptanceBroker, withBrokerLog } from "./helpers.ts";

const users = {
  plain: { mechanism: "plain", username: "alice", password: "alice-secret" },
  "scram-sha-256": { mechanism: "scram-sha-256", username: "bob", password: "bob-secret" },
  "scram-sha-512": { mechanism: "scram-sha-512", username: "carol", password: "carol-secret" },
} as const satisfies Record<string, SASLOptions>;
const mechanisms = Object.keys(users) as (keyof typeof users)[];

/** carol's SCRAM-SHA-512 credential as Kafka persists it: salt, stored key, server key — no password. */
function storedCredentialsFile(): string {
  const mechanism = SCRAM_MECHANISMS["SCRAM-SHA-512"];
  const salt = Buffer.from("a-salt-of-carols");
  const stored = credentialOf(
    mechanism,
    saltPasswordSync(mechanism, users["scram-sha-512"].password, salt, 4096),
    salt,
    4096,
  );
  const b64 = (bytes: Buffer) => bytes.toString("base64");
  const dir = mkdtempSync(join(tmpdir(), "sasl-users-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "credentials");
  writeFileSync(
    file,
    `# carol, stored salted\nSCRAM-SHA-512=[name=carol,salt="${b64(salt)}",stored_key="${b64(stored.storedKey)}",server_key="${b64(stored.serverKey)}",iterations=4096]\n`,
  );
  return file;
}

describe("SASL authentication", () => {
  const suite = useAcceptanceBroker({
    listeners: "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
    "listener.name.sasl_plaintext.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="${users.plain.password}";`,
    "sasl.credentials": `SCRAM-SHA-256=[name=bob,password=${users["scram-sha-256"].password}]`,
    "sasl.credentials.file": storedCredentialsFile(),
  });
  const saslAddress = () => suite.broker.listeners.SASL_PLAINTEXT!;
  const plaintextAddress = () => suite.broker.listeners.PLAINTEXT!;

  const kafkajs = (sasl: KafkajsConfig["sasl"], clientId: string) =>
    new KafkajsKafka({
      clientId,
      brokers: [saslAddress()],
      sasl,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 500 },
    });
  const ours = (sasl: SASLOptions, clientId: string) =>
    new OurKafka({
      clientId,
      brokers: [saslAddress()],
      sasl,
      logLevel: ourLogLevel.NOTHING,
      connectionTimeout: 3000,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 500 },
    });

  /** What a consumer of `groupId` gets from `topic`, from the beginning, until `count` values came. */
  async function consumeValues(
    consumer: Pick<Consumer, "connect" | "subscribe" | "run" | "disconnect">,
    topic: string,
    count: number,
  ): Promise<string[]> {
    const values: string[] = [];
    suite.track(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString() ?? "");
      },
    });
    await waitFor(() => values.length >= count, { message: () => `${count} values from ${topic}, got ${values}` });
    return values;
  }

  /** The topics the PLAINTEXT listener's Metadata knows. */
  async function topicNames(): Promise<string[]> {
    const client = await WireClient.connect(plaintextAddress());
    try {
      const metadata = await client.request(Apis.Metadata, 6, { topics: null, allowAutoTopicCreation: false });
      return metadata.topics.map((t) => t.name);
    } finally {
      client.close();
    }
  }

  for (const mechanism of mechanisms) {
    it(`when kafkajs authenticates with ${mechanism}, then it produces and a group consumer consumes`, async () => {
      await withBrokerLog(suite.broker, async () => {
        // A copy: kafkajs keeps its authenticator on the object it is given.
        const kafka = kafkajs({ ...users[mechanism] }, `kafkajs-${mechanism}`);
        const topic = `kafkajs-${mechanism}`;
        const producer = suite.track(kafka.producer());
        await producer.connect();
        await producer.send({ topic, messages: [{ value: "one" }, { value: "two" }] });
        const consumer = kafka.consumer(quickConsumerConfig(`kafkajs-${mechanism}`));
        assert.deepEqual(await consumeValues(consumer, topic, 2), ["one", "two"]);
      });
    });

    it(`when our client authenticates with ${mechanism}, then it produces and a group consumer consumes`, async () => {
      await withBrokerLog(suite.broker, async () => {
        const kafka = ours(users[mechanism], `ours-${mechanism}`);
        const topic = `ours-${mechanism}`;
        const producer = suite.track(kafka.producer());
        await producer.connect();
        await producer.send({ topic, messages: [{ value: "uno" }, { value: "dos" }] });
        const { partitionAssigners: _kafkajsOnly, ...config } = quickConsumerConfig(`ours-${mechanism}`);
        const consumer = kafka.consumer(config);
        assert.deepEqual(await consumeValues(consumer, topic, 2), ["uno", "dos"]);
      });
    });
  }

  it("when our client is given a wrong password, then a non-retriable KafkaJSSASLAuthenticationError and nothing is created", async () => {
    const kafka = ours({ ...users["scram-sha-256"], password: "wrong" }, "ours-wrong");
    const producer = suite.track(kafka.producer());
    const error = await producer.connect().then(
      () => assert.fail("connected with a wrong password"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof KafkaJSSASLAuthenticationError, String(error));
    assert.equal(error.retriable, false);
    assert.match(
      error.message,
      /SASL SCRAM-SHA-256 authentication failed: Authentication failed: Invalid user credentials/,
    );
    await assert.rejects(producer.send({ topic: "never-ours", messages: [{ value: "x" }] }));
    assert.equal((await topicNames()).includes("never-ours"), false);
  });

  it("when kafkajs is given a wrong password, then KafkaJSSASLAuthenticationError and nothing is created", async () => {
    const producer = suite.track(
      kafkajs({ mechanism: "plain", username: "alice", password: "wrong" }, "kafkajs-wrong").producer(),
    );
    await assert.rejects(
      producer.connect(),
      (error: Error) =>
        error.name === "KafkaJSSASLAuthenticationError" && /Invalid username or password/.test(error.message),
    );
    await assert.rejects(producer.send({ topic: "never-kafkajs", messages: [{ value: "x" }] }));
    assert.equal((await topicNames()).includes("never-kafkajs"), false);
  });

  it("when a wrong password is sent on the wire, then SASL_AUTHENTICATION_FAILED with a message, then the connection is closed", async () => {
    const client = await WireClient.connect(saslAddress());
    const handshake = await client.request(Apis.SaslHandshake, 1, { mechanism: "PLAIN" });
    assert.deepEqual(handshake, { errorCode: 0, mechanisms: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] });
    const refused = client.request(Apis.SaslAuthenticate, 1, {
      authBytes: encodePlain({ username: "alice", password: "guess" }),
    });
    // Pipelined behind the refusal: never served.
    const metadata = client.request(Apis.Metadata, 6, { topics: null, allowAutoTopicCreation: true });
    const answer = await refused;
    assert.equal(answer.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.equal(answer.errorMessage, "Authentication failed: Invalid username or password");
    await assert.rejects(metadata, /connection closed by the broker/);
    await client.closed;
  });

  it("when a request other than ApiVersions or SaslHandshake comes before authentication, then the connection is closed unanswered", async () => {
    for (const first of ["Metadata", "ApiVersions then Produce"] as const) {
      const client = await WireClient.connect(saslAddress());
      if (first === "ApiVersions then Produce") {
        const versions = await client.request(Apis.ApiVersions, 3, {
          clientSoftwareName: "t",
          clientSoftwareVersion: "1",
        });
        assert.equal(versions.errorCode, ErrorCode.NONE);
        await assert.rejects(
          client.request(Apis.Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [] }),
          /connection closed by the broker/,
        );
      } else {
        await assert.rejects(
          client.request(Apis.Metadata, 6, { topics: null, allowAutoTopicCreation: true }),
          /connection closed by the broker/,
        );
      }
      await client.closed;
    }
  });

  it("when a mechanism is not enabled, then UNSUPPORTED_SASL_MECHANISM with the enabled list, then the connection is closed", async () => {
    const client = await WireClient.connect(saslAddress());
    const answer = await client.request(Apis.SaslHandshake, 1, { mechanism: "GSSAPI" });
    assert.deepEqual(answer, {
      errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
      mechanisms: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"],
    });
    await client.closed;
  });

  it("when SaslHandshake v0 is used, then the PLAIN token goes bare and is answered bare, and requests are served after", async () => {
    const [host, port] = saslAddress().split(":");
    const socket = connect(Number(port), host!);
    socket.on("error", () => {});
    let received = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
    });
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const bytes = (frames: Buffer[]) => socket.write(Buffer.concat(frames));
    bytes(encodeRequest(Apis.SaslHandshake, 0, 1, "raw", { mechanism: "PLAIN" }));
    await waitFor(() => received.length >= 4 && received.length >= 4 + received.readInt32BE(0));
    received = Buffer.alloc(0);
    const token = encodePlain({ username: "alice", password: users.plain.password });
    const size = Buffer.alloc(4);
    size.writeInt32BE(token.length);
    bytes([size, token]);
    await waitFor(() => received.length >= 4);
    assert.deepEqual(received.subarray(0, 4), Buffer.alloc(4), "an empty token answers PLAIN");
    received = Buffer.alloc(0);
    bytes(encodeRequest(Apis.ApiVersions, 0, 2, "raw", { clientSoftwareName: "", clientSoftwareVersion: "" }));
    await waitFor(() => received.length >= 8);
    assert.equal(received.readInt32BE(4), 2, "ApiVersions answered after authentication");
    socket.destroy();
  });

  it("when Metadata is asked on each listener, then each advertises the broker at its own listener's address", async () => {
    const plain = await WireClient.connect(plaintextAddress());
    const onPlaintext = await plain.request(Apis.Metadata, 6, { topics: [], allowAutoTopicCreation: false });
    plain.close();
    assert.deepEqual(
      onPlaintext.brokers.map((b) => `${b.host}:${b.port}`),
      [plaintextAddress()],
    );
    const admin = ours(users.plain, "ours-admin").admin();
    suite.track(admin);
    await admin.connect();
    const { brokers } = await admin.describeCluster();
    assert.deepEqual(
      brokers.map((b) => `${b.host}:${b.port}`),
      [saslAddress()],
    );
  });

  describe("with kcat (librdkafka)", ...needs(KCAT, kcatSuite));

  function kcatSuite(): void {
    const kcatSasl = (sasl: SASLOptions, wrongPassword = false) => [
      "-b",
      saslAddress(),
      "-X",
      "security.protocol=SASL_PLAINTEXT",
      "-X",
      `sasl.mechanisms=${sasl.mechanism.toUpperCase()}`,
      "-X",
      `sasl.username=${sasl.username}`,
      "-X",
      `sasl.password=${wrongPassword ? "wrong" : sasl.password}`,
    ];

    for (const mechanism of mechanisms) {
      it(`when kcat authenticates with ${mechanism.toUpperCase()}, then it produces and consumes`, async () => {
        const topic = `kcat-${mechanism}`;
        const produced = await runKcat([...kcatSasl(users[mechanism]), "-t", topic, "-P"], { input: "hello\nworld\n" });
        assert.equal(produced.code, 0, produced.stderr);
        const consumed = await runKcat([...kcatSasl(users[mechanism]), "-t", topic, "-C", "-e", "-f", "%s\\n"]);
        assert.equal(consumed.code, 0, consumed.stderr);
        assert.deepEqual(consumed.stdout.trim().split("\n"), ["hello", "world"]);
      });
    }

    it("when kcat is given a wrong password, then it reports the authentication failure and nothing is created", async () => {
      const run = await runKcat([...kcatSasl(users["scram-sha-512"], true), "-t", "never-kcat", "-P"], {
        input: "x\n",
        timeoutMs: 15_000,
      });
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /Authentication failed: Invalid user credentials/);
      assert.equal((await topicNames()).includes("never-kcat"), false);
    });
  }
});
