import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { freePorts } from "../../../../apps/broker-cluster.ts";
import type { BrokerInfo, HostedPartition, QuorumInfo } from "../../../../broker/server/admin/admin-types.ts";
import type { ClusterEvent } from "../../../../broker/server/admin/cluster-events.ts";
import { useBroker, withBrokerLog } from "../../../helpers/broker-process.ts";
import { waitFor } from "../../../helpers/wait.ts";
import { ourConsumer, quickConsumerConfig } from "../../client/consumer/helpers.ts";
import { cleanupAll, kafkajsClient, quickGroupBrokerConfig } from "../../client/helpers.ts";
import { getJson, parsePrometheus, readSse, type SseReader } from "./admin-fixture.ts";

describe("the admin listener of a broker process", () => {
  const cleanups: Array<() => unknown> = [];
  // Registered before the broker's own after hook, so members leave while the broker still runs.
  after(() => cleanupAll(...cleanups));
  const broker = useBroker({ adminPort: 0, config: { ...quickGroupBrokerConfig, "offsets.topic.num.partitions": 3 } });
  const admin = (path: string): string => `${broker.adminUrl}${path}`;

  it("when started with --admin-port 0, then it prints the admin line before the listening line, and the line does not start with it", () => {
    const lines = broker.output().split("\n");
    const adminLine = lines.findIndex((line) => /^admin listening on http:\/\/127\.0\.0\.1:\d+$/.test(line));
    const listeningLine = lines.findIndex((line) => /^listening on /.test(line));
    assert.ok(adminLine >= 0, "an admin line");
    assert.ok(adminLine < listeningLine, "the admin line first");
    assert.notEqual(broker.adminUrl, null);
  });

  it("when /v1/broker is asked, then it names this broker, its Kafka listener and its state", async () => {
    const { status, body } = await getJson<BrokerInfo>(admin("/v1/broker"));
    assert.equal(status, 200);
    assert.deepEqual(
      { ...body, clusterId: typeof body.clusterId, startedAt: typeof body.startedAt },
      {
        nodeId: 0,
        clusterId: "string",
        listener: broker.address,
        voter: true,
        activeController: true,
        startedAt: "number",
        unfenced: true,
      },
    );
  });

  it("when a path is unknown or the method is not GET, then the answer is a JSON error (404, 405)", async () => {
    const unknown = await getJson<{ error: string }>(admin("/v1/nothing-here"));
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error, /no route \/v1\/nothing-here/);
    const posted = await fetch(admin("/v1/broker"), { method: "POST" });
    assert.equal(posted.status, 405);
    assert.match(((await posted.json()) as { error: string }).error, /read-only/);
  });

  it("when /metrics is scraped, then it is Prometheus text with the broker's own counters and gauges", async () => {
    const response = await fetch(admin("/metrics"));
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(await response.text());
    assert.equal(samples.get("kafka_controller_kafkacontroller_activecontrollercount"), 1);
    assert.equal(samples.get("kafka_server_replicamanager_underreplicatedpartitions"), 0);
    assert.ok((samples.get('kafka_network_requestmetrics_requests_total{request="BrokerHeartbeat"}') ?? 0) >= 1);
    assert.ok(samples.has("process_cpu_user_seconds_total"), "node's process metrics too");
  });

  it("when a consumer joins a group, then /v1/events delivers the kept history first and then the join live, and /v1/events/history has it", async () => {
    await withBrokerLog(broker, async () => {
      const kafka = kafkajsClient(broker.address, "admin-events-setup");
      const kafkaAdmin = kafka.admin();
      await kafkaAdmin.connect();
      cleanups.push(() => kafkaAdmin.disconnect());
      await kafkaAdmin.createTopics({ topics: [{ topic: "admin-events", numPartitions: 2 }], waitForLeaders: true });

      const before = await getJson<ClusterEvent[]>(admin("/v1/events/history"));
      const stream: SseReader = await readSse(admin("/v1/events"));
      cleanups.push(() => stream.close());
      await waitFor(() => stream.events().length === before.body.length && stream.frames.length > 0, {
        message: "the stream to deliver the history it had",
      });

      const consumer = ourConsumer(broker.address, quickConsumerConfig("admin-events-group"), "admin-events-member");
      cleanups.push(() => consumer.disconnect());
      await consumer.connect();
      await consumer.subscribe({ topics: ["admin-events"], fromBeginning: true });
      await consumer.run({ eachMessage: async () => {} });

      const joinedLive = (): ClusterEvent | undefined =>
        stream
          .events<ClusterEvent>()
          .find(
            (e) =>
              e.kind === "member-joined" && e.group === "admin-events-group" && e.clientId === "admin-events-member",
          );
      await waitFor(() => joinedLive() !== undefined, {
        message: () => `a live member-joined event (got ${JSON.stringify(stream.events().map((e) => e.kind))})`,
      });
      assert.ok(joinedLive()!.cause.length > 0, "an event says why");
      const ids = stream.events<ClusterEvent>().map((e) => Number(e.id.split("-")[1]));
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
        "history then live, in order, none twice",
      );
      assert.equal(new Set(ids).size, ids.length);

      const history = await getJson<ClusterEvent[]>(admin("/v1/events/history"));
      assert.ok(history.body.some((e) => e.id === joinedLive()!.id));
      const after = await getJson<ClusterEvent[]>(admin(`/v1/events/history?after=${joinedLive()!.id}`));
      assert.ok(after.body.every((e) => e.id !== joinedLive()!.id));
    });
  });
});

describe("the admin listener of a broker that waits for its quorum", () => {
  it("when the broker's other voter never comes, then the admin listener answers anyway: not unfenced, no leader, no partitions", async () => {
    const [own, absent] = await freePorts("127.0.0.1", 2);
    const dataDir = mkdtempSync(join(tmpdir(), "admin-waiting-"));
    const main = fileURLToPath(new URL("../../../../broker/server/main.ts", import.meta.url));
    const voters = `0@127.0.0.1:${own},1@127.0.0.1:${absent}`;
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        main,
        "--port",
        String(own),
        "--admin-port",
        "0",
        "--data-dir",
        dataDir,
        "--controller-quorum",
        voters,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.resume();
    try {
      await waitFor(() => /^admin listening on /m.test(stdout), {
        message: () => `the admin line (stdout: ${stdout})`,
      });
      const url = /^admin listening on (\S+)$/m.exec(stdout)![1]!;
      const info = await getJson<BrokerInfo>(`${url}/v1/broker`);
      assert.equal(info.status, 200);
      assert.equal(info.body.unfenced, false);
      assert.equal(info.body.voter, true);
      assert.deepEqual((await getJson<HostedPartition[]>(`${url}/v1/partitions`)).body, []);
      const quorum = await getJson<QuorumInfo>(`${url}/v1/quorum`);
      assert.equal(quorum.body.leaderId, null);
      assert.deepEqual(
        quorum.body.voters.map((voter) => voter.id),
        [0, 1],
      );
      assert.doesNotMatch(stdout, /^listening on /m, "not ready: no listening line");
    } finally {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("close", resolve));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
