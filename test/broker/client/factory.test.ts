import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Kafka as KafkajsKafka } from "kafkajs";
import {
  brokersFrom,
  clientKindFrom,
  createKafka,
  DEFAULT_BROKERS,
  type KafkaClient,
} from "../../../broker/client/factory.ts";
import { Kafka } from "../../../broker/client/kafka.ts";
import { logLevel } from "../../../broker/client/logger.ts";
import { type BrokerProcess, startBroker } from "../../helpers/broker-process.ts";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const savedEnv = { KAFKA_CLIENT: process.env.KAFKA_CLIENT, KAFKA_BROKERS: process.env.KAFKA_BROKERS };

function restoreEnv(): void {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

describe("createKafka", () => {
  beforeEach(() => {
    delete process.env.KAFKA_CLIENT;
    delete process.env.KAFKA_BROKERS;
  });
  afterEach(restoreEnv);

  it('when KAFKA_CLIENT is unset, empty or "ours", then our Kafka', async () => {
    assert.ok((await createKafka({ clientId: "app" })) instanceof Kafka);
    for (const value of ["", "ours"]) {
      process.env.KAFKA_CLIENT = value;
      const client = await createKafka({ clientId: "app" });
      assert.ok(client instanceof Kafka);
      assert.ok(!(client instanceof KafkajsKafka));
    }
  });

  it('when KAFKA_CLIENT is "kafkajs", then the real kafkajs Kafka', async () => {
    process.env.KAFKA_CLIENT = "kafkajs";
    const client = await createKafka({ clientId: "app", logLevel: logLevel.NOTHING });
    assert.ok(client instanceof KafkajsKafka);
    assert.ok(!(client instanceof Kafka));
  });

  it("when KAFKA_CLIENT is anything else, then a one-line error naming the accepted values", async () => {
    process.env.KAFKA_CLIENT = "KafkaJS";
    const error = await createKafka({ clientId: "app" }).then(
      () => assert.fail("expected a rejection"),
      (err: Error) => err,
    );
    assert.equal(error.message, 'KAFKA_CLIENT must be one of "ours", "kafkajs" (got "KafkaJS")');
    assert.ok(!error.message.includes("\n"));
    assert.throws(() => clientKindFrom("librdkafka"), /"ours", "kafkajs"/);
  });

  it("when KAFKA_BROKERS is set, then its comma-separated list wins; else the brokers option; else the bundled broker's default", () => {
    const option = ["option:9092"];
    assert.deepEqual(brokersFrom("a:1, b:2,,", option), ["a:1", "b:2"]);
    assert.deepEqual(brokersFrom(undefined, option), option);
    assert.deepEqual(brokersFrom(" , ", option), option);
    assert.deepEqual(brokersFrom(undefined, undefined), ["127.0.0.1:9092"]);
    assert.deepEqual(DEFAULT_BROKERS, ["127.0.0.1:9092"]);
    const discover = () => ["found:9092"];
    assert.equal(brokersFrom("", discover), discover);
  });
});

describe("createKafka against a broker", () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    restoreEnv();
    await broker?.cleanup();
  });

  for (const kind of ["ours", "kafkajs"]) {
    it(`when KAFKA_CLIENT=${kind} and KAFKA_BROKERS points at the broker, then its admin reaches that broker and not the brokers option`, async () => {
      process.env.KAFKA_CLIENT = kind;
      process.env.KAFKA_BROKERS = broker.address;
      const client: KafkaClient = await createKafka({
        clientId: "factory-test",
        brokers: ["127.0.0.1:1"],
        logLevel: logLevel.NOTHING,
        retry: { retries: 1 },
      });
      const admin = client.admin();
      try {
        await admin.connect();
        const { brokers } = await admin.describeCluster();
        assert.deepEqual(
          brokers.map((b) => b.port),
          [broker.port],
        );
      } finally {
        await admin.disconnect();
        restoreEnv();
      }
    });
  }
});

describe("createKafka's loading of kafkajs", () => {
  /** Whether kafkajs's code was loaded in a fresh process that asked for `kind`. */
  const loadsKafkajs = (kind: string): boolean => {
    const script = `
      import { createRequire } from "node:module";
      import { createKafka } from "./broker/client/factory.ts";
      await createKafka({ clientId: "probe" });
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes("/node_modules/kafkajs/"));
      console.log(JSON.stringify({ loaded }));
    `;
    const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repoRoot,
      env: { ...process.env, KAFKA_CLIENT: kind },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(result.status, 0, result.stderr);
    return (JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { loaded: boolean }).loaded;
  };

  it("when an app uses ours, then kafkajs is never loaded; when it asks for kafkajs, then it is", () => {
    assert.equal(loadsKafkajs("ours"), false);
    assert.equal(loadsKafkajs("kafkajs"), true);
  });
});
