// Acceptance: the points demo on a 3-broker cluster survives the death of the broker that
// coordinates the ledger's consumer group. Every part is real: broker processes forming a KRaft
// cluster (started as `npm run cluster` does, restarting a broker that dies), the ledger and the
// points-api as processes, a SQLite file, commands sent over HTTP. Per user, commands are sent one
// after another (the next once the previous was accepted, a 503 retried with the same key), so the
// order they were accepted in is the order the user means. The coordinator of group `ledger` is
// killed with SIGKILL while they flow; sending goes on until another broker coordinates the group,
// the ledger has applied commands accepted after the move, and the killed broker is back. Then
// every accepted command must be applied exactly once, in each user's order, with the outcome
// and balance a sequential replay gives.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { replicatedTopicDefaults } from "../../apps/broker-cluster.ts";
import { loadConfig } from "../../apps/shared/config.ts";
import { createDb, type Db } from "../../apps/shared/db/client.ts";
import { COMMANDS_TOPIC, EVENTS_TOPIC } from "../../apps/shared/topics.ts";
import { createKafka, type KafkaClient } from "../../broker/client/factory.ts";
import { logLevel } from "../../broker/client/index.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import { CONSUMER_OFFSETS_TOPIC } from "../../broker/server/groups/offsets-record-format.ts";
import { demoUsers } from "../../seed/demo-data.ts";
import { ClusterView } from "../../seed/fault/cluster-view.ts";
import { waitUntilWhole } from "../../seed/fault/nemesis.ts";
import { noAnomalies, sequentialReplay, verify } from "../../seed/lab/verify.ts";
import { generateWorkload, type IssuedCommand } from "../../seed/load/workload.ts";
import { openingCommandId, seedDemo } from "../../seed/seed-demo.ts";
import { type AppEnv, createAppEnv, type ServiceProcess, startService } from "../helpers/app-process.ts";
import { useClusterProcess } from "../helpers/cluster-process.ts";
import { cleanupAll, sleep, waitFor } from "../helpers/wait.ts";
import { coordinatorNamedBy } from "../helpers/wire-client.ts";
import { quickGroupBrokerConfig } from "./helpers.ts";

/** The group id the ledger service consumes points.commands with (apps/ledger/service.ts). */
const ledgerGroup = "ledger";
const users = demoUsers(12);
/** Commands per second over all users: enough to keep the ledger busy, little enough for 2 cores. */
const sendRate = 60;

const clusterConfig = {
  ...quickGroupBrokerConfig,
  // As `npm start -- --brokers 3` runs the demo: 6 partitions, RF 3, min.insync.replicas=2.
  "num.partitions": "6",
  ...replicatedTopicDefaults(3),
  // A dead broker is fenced (and its leaderships move) after 3 s instead of Kafka's 9 s.
  "broker.session.timeout.ms": "3000",
  "broker.heartbeat.interval.ms": "500",
};

/**
 * POSTs the command with its id as Idempotency-Key and its terminal's key (`authorization`) until
 * points-api accepts it; 5xx and lost connections are retried.
 */
async function sendUntilAccepted(
  api: string,
  command: IssuedCommand,
  authorization: { authorization: string },
  onUnavailable: () => void,
): Promise<void> {
  const body = JSON.stringify({
    userId: command.userId,
    amount: command.amount,
    storeId: command.storeId,
    terminalId: command.terminalId,
  });
  const deadline = Date.now() + 60_000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${api}/api/points/${command.type}`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": command.commandId, ...authorization },
        body,
      });
      const text = await response.text();
      if (response.status === 202) return;
      if (response.status < 500) throw new Error(`${command.commandId}: HTTP ${response.status} ${text}`);
      last = `HTTP ${response.status} ${text}`;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith(command.commandId)) throw error;
      last = String(error);
    }
    onUnavailable();
    await sleep(200);
  }
  throw new Error(`${command.commandId} not accepted within 60 s (last: ${last})`);
}

describe("the points demo on a 3-broker cluster when the ledger's group coordinator dies", () => {
  const startCluster = useClusterProcess();

  it("when the broker coordinating group ledger is killed while commands flow, then the coordinator moves and every accepted command is applied exactly once with the balances of a sequential replay", {
    timeout: 240_000,
  }, async (t) => {
    const cluster = await startCluster(3, clusterConfig);
    const view = new ClusterView(cluster.bootstrap);
    let app: AppEnv | undefined;
    let db: Db | undefined;
    const services: ServiceProcess[] = [];
    let stopSending = true;
    let lanes: Promise<void> | undefined;
    let admin: ReturnType<KafkaClient["admin"]> | undefined;
    const diagnostics = () =>
      [cluster.output(), ...services.map((s) => `--- ${s.name}\n${s.output()}`)].join("\n").slice(-20_000);
    try {
      app = createAppEnv(cluster.bootstrap.join(","));
      const appEnv = app;
      await seedDemo(loadConfig(app.env()), { users: users.length });
      services.push(await startService("ledger", app.env(), { timeoutMs: 60_000 }));
      const pointsApi = await startService("points-api", app.env(), { timeoutMs: 60_000 });
      services.push(pointsApi);
      db = createDb(app.databaseUrlOf("ledger"));
      const ledgerDb = db;
      await waitFor(async () => (await ledgerDb.ledgerEntry.count()) === users.length, {
        timeoutMs: 60_000,
        message: () => `opening balances applied\n${diagnostics()}`,
      });
      for (const topic of [COMMANDS_TOPIC, EVENTS_TOPIC, CONSUMER_OFFSETS_TOPIC]) {
        for (const { partition, replicas } of await view.partitions(topic))
          assert.deepEqual([...replicas].sort(), [0, 1, 2], `${topic}-${partition} has 3 replicas`);
      }

      // The users' stories, sent lane by lane (one lane per user), paced over all lanes.
      const workload = generateWorkload({ users: users.length, commands: 20_000, seed: 11, userPrefix: "user-" });
      const accepted: IssuedCommand[] = [];
      let unavailable = 0;
      let nextSlot = Date.now();
      let laneFailure: unknown;
      stopSending = false;
      lanes = Promise.all(
        workload.users.map(async (userId) => {
          for (const command of workload.commands.filter((c) => c.userId === userId)) {
            if (stopSending) return;
            nextSlot = Math.max(nextSlot + 1000 / sendRate, Date.now());
            await sleep(nextSlot - Date.now());
            await sendUntilAccepted(
              pointsApi.url,
              command,
              appEnv.authorization(command.terminalId),
              () => unavailable++,
            );
            accepted.push(command);
          }
        }),
      ).then(
        () => undefined,
        (error) => {
          laneFailure = error;
        },
      );
      const failedLane = () => {
        if (laneFailure !== undefined) throw laneFailure;
      };
      const notOpening = { commandId: { notIn: users.map((u) => openingCommandId(u.id)) } };
      const appliedCount = () => ledgerDb.ledgerEntry.count({ where: notOpening });

      // Kill the coordinator once the ledger is well into the stream.
      await waitFor(
        async () => laneFailure !== undefined || (accepted.length >= 200 && (await appliedCount()) >= 150),
        {
          timeoutMs: 60_000,
          message: () => `the ledger applying the stream (accepted ${accepted.length})\n${diagnostics()}`,
        },
      );
      failedLane();
      const before = await coordinatorNamedBy(cluster.bootstrap[0]!, ledgerGroup);
      assert.equal(before.errorCode, ErrorCode.NONE, "a coordinator of group ledger before the kill");
      const oldCoordinator = before.nodeId;
      const killedPid = cluster.broker(oldCoordinator).pid;
      process.kill(killedPid, "SIGKILL");
      const killedAt = Date.now();
      const acceptedAtKill = accepted.length;

      // Another broker coordinates the group now.
      const survivor = cluster.bootstrap[[0, 1, 2].find((id) => id !== oldCoordinator)!]!;
      let named = { errorCode: -1, nodeId: -1 };
      await waitFor(
        async () => {
          named = await coordinatorNamedBy(survivor, ledgerGroup);
          return named.errorCode === ErrorCode.NONE && named.nodeId !== oldCoordinator;
        },
        {
          timeoutMs: 60_000,
          message: () => `another coordinator than ${oldCoordinator} (named ${named.nodeId}, error ${named.errorCode})`,
        },
      );
      const newCoordinator = named.nodeId;
      const movedAt = Date.now();

      // The ledger goes on applying commands accepted after the move.
      const acceptedAtMove = accepted.length;
      await waitFor(async () => laneFailure !== undefined || (await appliedCount()) >= acceptedAtMove + 150, {
        timeoutMs: 90_000,
        message: () =>
          `the ledger applying commands accepted after the move (accepted ${accepted.length}, at the move ${acceptedAtMove})\n${diagnostics()}`,
      });
      const resumedAt = Date.now();
      // Commands go on flowing while the restarted broker catches up and rejoins every ISR.
      await cluster.restartOf(oldCoordinator, killedPid, 60_000);
      await waitUntilWhole(view, COMMANDS_TOPIC, 60_000);
      await waitUntilWhole(view, CONSUMER_OFFSETS_TOPIC, 60_000);
      const acceptedWhenWhole = accepted.length;
      stopSending = true;
      await lanes;
      failedLane();

      // Everything accepted gets applied.
      const expected = accepted.length;
      let applied = 0;
      await waitFor(async () => (applied = await appliedCount()) >= expected, {
        timeoutMs: 60_000,
        message: () => `all ${expected} accepted commands applied (${applied} are)\n${diagnostics()}`,
      });
      assert.ok(acceptedAtKill < expected, "commands were still being sent after the kill");

      const entries = await ledgerDb.ledgerEntry.findMany({ where: notOpening, orderBy: { id: "asc" } });
      const opening = new Map(users.map((u) => [u.id, u.openingBalance]));
      const verification = verify(
        accepted,
        entries.map(({ commandId, userId, status, balanceAfter }) => ({
          commandId,
          userId,
          status: status as "applied" | "rejected",
          balanceAfter,
        })),
        opening,
      );
      assert.deepEqual(verification.anomalies, noAnomalies(), JSON.stringify(verification.examples));
      assert.equal(entries.length, expected, "one ledger entry per accepted command");

      // The accounts hold what a sequential replay of each user's accepted commands gives.
      const accounts = new Map((await ledgerDb.account.findMany()).map((a) => [a.userId, a.balance]));
      for (const user of users) {
        const own = accepted.filter((c) => c.userId === user.id);
        assert.equal(accounts.get(user.id), sequentialReplay(own, user.openingBalance).balance, `${user.id}'s balance`);
      }

      // The group committed the whole stream on the new coordinator.
      const kafka = await createKafka({
        clientId: "failover-test",
        brokers: cluster.bootstrap,
        logLevel: logLevel.NOTHING,
      });
      admin = kafka.admin();
      await admin.connect();
      const ends = new Map((await admin.fetchTopicOffsets(COMMANDS_TOPIC)).map((p) => [p.partition, p.high]));
      let committed: string[] = [];
      await waitFor(
        async () => {
          const [offsets] = await admin!.fetchOffsets({ groupId: ledgerGroup, topics: [COMMANDS_TOPIC] });
          committed = (offsets?.partitions ?? []).map((p) => `${p.partition}:${p.offset}/${ends.get(p.partition)}`);
          return (
            ends.size > 0 &&
            (offsets?.partitions ?? []).every(
              (p) => p.offset === ends.get(p.partition) || (p.offset === "-1" && ends.get(p.partition) === "0"),
            )
          );
        },
        { timeoutMs: 30_000, message: () => `group ledger committed the end of every partition (${committed})` },
      );
      assert.notEqual((await coordinatorNamedBy(survivor, ledgerGroup)).nodeId, oldCoordinator);
      const joins = (services[0]!.output().match(/joined group ledger/g) ?? []).length;
      t.diagnostic(
        `coordinator ${oldCoordinator} -> ${newCoordinator} in ${movedAt - killedAt} ms; ${resumedAt - killedAt} ms from the kill to ` +
          `150 commands accepted after the move applied; the ledger joined ${joins} times; ${expected} commands accepted ` +
          `(${acceptedAtKill} before the kill, ${expected - acceptedWhenWhole} after the cluster was whole again, ${unavailable} retries after a 5xx or lost connection), ` +
          `${entries.filter((e) => e.status === "rejected").length} deductions rejected`,
      );
    } finally {
      stopSending = true;
      await cleanupAll(
        () => lanes,
        () => admin?.disconnect(),
        ...[...services].reverse().map((service) => () => service.stop()),
        () => db?.$disconnect(),
        () => view.close(),
        () => app?.cleanup(),
      );
    }
  });
});
