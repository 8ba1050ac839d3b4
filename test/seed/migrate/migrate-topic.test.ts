// The migration on a live points system, all real: a broker process, a ledger process on a SQLite
// file, commands flowing into points.commands while `npm run migrate-topic` copies it to a 3-partition
// points.commands.v2; then the cutover (producer stopped, ledger drained and stopped), the handover,
// and the ledger and points-api started again on the new topic.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { COMMANDS_TOPIC, type PointsCommand } from "../../../apps/shared/topics.ts";
import { Kafka, logLevel } from "../../../broker/client/index.ts";
import { MigrationError, migrateTopic } from "../../../seed/migrate/migrate-topic.ts";
import { targetPartition } from "../../../seed/migrate/target-partition.ts";
import { commandStream, kafkaFor } from "../../apps/ledger/ledger-fixture.ts";
import { startLedgerRig } from "../../apps/ledger/ledger-rig.ts";
import { type ServiceProcess, startService } from "../../helpers/app-process.ts";
import { useBroker } from "../../helpers/broker-process.ts";
import { type RunningCommand, startScript } from "../../helpers/command.ts";
import { range, waitFor } from "../../helpers/wait.ts";

const NEW_TOPIC = "points.commands.v2";
const USERS = 24;

/** What a ledger says when it stops: its counts since it started. */
function finalCounts(output: string): { applied: number; rejected: number; reemitted: number } {
  const match = /applied (\d+), rejected (\d+), re-emitted (\d+), skipped \d+ invalid/.exec(output);
  assert.ok(match, `the ledger's final counts in:\n${output}`);
  return { applied: Number(match[1]), rejected: Number(match[2]), reemitted: Number(match[3]) };
}

/** Every record of `topic` as (partition, commandId) in offset order per partition. */
async function readTopic(address: string, topic: string, partitions: number, expected: number) {
  const consumer = kafkaFor(address).consumer({ groupId: "", maxWaitTimeInMs: 100 });
  const records: { partition: number; key: string; commandId: string }[] = [];
  await consumer.connect();
  try {
    consumer.assign([{ topic, partitions: range(partitions), fromBeginning: true }]);
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const value = JSON.parse(message.value!.toString()) as PointsCommand;
        records.push({ partition, key: message.key!.toString(), commandId: value.commandId });
      },
    });
    await waitFor(() => records.length >= expected, { message: () => `${expected} records on ${topic}` });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

async function submit(
  apiUrl: string,
  command: PointsCommand,
  authorization: { authorization: string },
): Promise<{ partition: number }> {
  const response = await fetch(`${apiUrl}/api/points/${command.type}`, {
    method: "POST",
    headers: { "content-type": "application/json", "Idempotency-Key": command.commandId, ...authorization },
    body: JSON.stringify({
      userId: command.userId,
      amount: command.amount,
      storeId: command.storeId,
      terminalId: command.terminalId,
      ...(command.orderId ? { orderId: command.orderId } : {}),
      ...(command.reason ? { reason: command.reason } : {}),
    }),
  });
  assert.equal(response.status, 202, await response.clone().text());
  return (await response.json()) as { partition: number };
}

describe("migrate-topic on a live points system", () => {
  it("when commands flow while points.commands is migrated to 3 partitions, then the ledger goes on from the new topic with every command applied exactly once and the balances of a sequential replay", {
    timeout: 240_000,
  }, async () => {
    const rig = await startLedgerRig();
    let migration: RunningCommand | undefined;
    let api: ServiceProcess | undefined;
    let ledger: ServiceProcess | undefined;
    try {
      await rig.directoryDb.store.create({
        data: { id: "store-1", name: "Store 1", terminals: { create: [{ id: "store-1-pos-1", name: "POS 1" }] } },
      });
      const commands = commandStream("mig", USERS, 2_400);
      await rig.directoryDb.user.createMany({
        data: [...new Set(commands.map((c) => c.userId))].map((id) => ({ id, name: id })),
      });
      const firstLedger = await rig.startLedger();
      const sent: PointsCommand[] = [];
      const sendNext = async (n: number) => {
        const chunk = commands.slice(sent.length, sent.length + n);
        await rig.producer.send(chunk);
        sent.push(...chunk);
      };
      await sendNext(600);

      migration = startScript("seed/migrate/main.ts", [
        "--from",
        COMMANDS_TOPIC,
        "--to",
        NEW_TOPIC,
        "--partitions",
        "3",
        "--brokers",
        rig.broker.address,
        "--group",
        "ledger",
        "--timeout",
        "120",
      ]);
      const said = (pattern: RegExp) => pattern.test(migration!.stdout());
      /** Commands flow (up to `budget` sent in all) until the migration says `pattern`. */
      const produceUntil = async (pattern: RegExp, budget: number) => {
        while (!said(pattern) && sent.length < budget) await sendNext(20);
        await waitFor(() => said(pattern), { timeoutMs: 60_000, message: () => `${pattern}:\n${migration!.output()}` });
      };
      await produceUntil(/^copying points\.commands while it is live/m, 1_200);
      // Written after the live copy read its ends: the cutover has these left to copy.
      await sendNext(20);
      await produceUntil(/^cutover: stop every producer/m, 1_800);
      // The producer has stopped; the ledger drains the old topic and is then stopped. A send still
      // in flight when the migration asked may land after it saw the ledger drained: then it asks
      // for the ledger again (as it would ask an operator), and it is started until drained again.
      const times = (pattern: RegExp) => migration!.stdout().match(pattern)?.length ?? 0;
      let drainingLedger = firstLedger;
      for (let asked = 1; ; asked++) {
        await waitFor(() => times(/has consumed points\.commands to its end: stop its 1 member/g) >= asked, {
          timeoutMs: 60_000,
          message: () => `the migration asks to stop the drained ledger:\n${migration!.output()}\n${rig.outputs()}`,
        });
        assert.equal(await drainingLedger.stop(), 0);
        await waitFor(
          () =>
            said(/^cutover at /m) || times(/has no members but \d+ records of points\.commands unconsumed/g) >= asked,
          {
            timeoutMs: 60_000,
            message: () => `the cutover, or a call for the ledger again:\n${migration!.output()}`,
          },
        );
        if (said(/^cutover at /m)) break;
        drainingLedger = await rig.startLedger();
      }
      assert.equal(await migration.exited, 0, migration.output());
      const output = migration.stdout();
      const handover =
        /group ledger: points\.commands offsets \[([\d, ]+)\] -> points\.commands\.v2 offsets \[([\d, ]+)\]/.exec(
          output,
        );
      assert.ok(handover, output);
      const newOffsets = handover[2]!.split(", ").map(Number);
      assert.equal(newOffsets.length, 3);
      assert.equal(
        newOffsets.reduce((a, b) => a + b, 0),
        sent.length,
        "the group stands after every copied command",
      );
      const cutoverCopy = /\((\d+) live, (\d+) at the cutover\)/.exec(output);
      assert.ok(
        cutoverCopy && Number(cutoverCopy[2]) > 0,
        `records written during the live copy were copied at the cutover:\n${output}`,
      );

      // On the new topic each user's commands sit in one partition, where its key hashes, in order.
      const copied = await readTopic(rig.broker.address, NEW_TOPIC, 3, sent.length);
      const order = new Map(sent.map((c, i) => [c.commandId, i]));
      const lastSeen = new Map<string, number>();
      for (const record of copied) {
        assert.equal(
          record.partition,
          targetPartition(Buffer.from(record.key), -1, 3),
          `${record.commandId}'s partition`,
        );
        const index = order.get(record.commandId)!;
        assert.ok(index > (lastSeen.get(record.key) ?? -1), `${record.commandId} after its user's earlier commands`);
        lastSeen.set(record.key, index);
      }

      // The ledger and points-api on the new topic; the rest of the commands through the API.
      ledger = await rig.startLedger({ COMMANDS_TOPIC: NEW_TOPIC });
      api = await startService("points-api", rig.app.env({ COMMANDS_TOPIC: NEW_TOPIC }));
      const rest = commands.slice(sent.length);
      for (const command of rest) {
        const { partition } = await submit(api.url, command, rig.app.authorization(command.terminalId));
        assert.equal(
          partition,
          targetPartition(Buffer.from(command.userId), -1, 3),
          "on the new topic's partition of its key",
        );
      }
      await rig.waitForReplay(commands);

      const restEntries = await rig.db.ledgerEntry.findMany({
        where: { commandId: { in: rest.map((c) => c.commandId) } },
        select: { topic: true },
      });
      assert.deepEqual([...new Set(restEntries.map((e) => e.topic))], [NEW_TOPIC]);
      const admin = kafkaFor(rig.broker.address).admin();
      await admin.connect();
      try {
        const oldEnds = (await admin.fetchTopicOffsets(COMMANDS_TOPIC)).reduce((s, p) => s + Number(p.high), 0);
        assert.equal(oldEnds, sent.length, "nothing was written to the old topic after the cutover");
      } finally {
        await admin.disconnect();
      }
      // Correct without the ledger's own dedup: the ledger on the new topic never met a copied command.
      assert.equal(await ledger.stop(), 0);
      const counts = finalCounts(ledger.output());
      assert.equal(counts.reemitted, 0, "no command was delivered again after the handover");
      assert.equal(counts.applied + counts.rejected, rest.length);
    } finally {
      migration?.child.kill("SIGKILL");
      await api?.kill();
      await rig.cleanup();
    }
  });
});

describe("migrate-topic refusals", () => {
  const broker = useBroker();
  let kafka: Kafka;
  const produce = async (topic: string, n: number) => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: range(n).map((i) => ({ key: `user-${i}`, value: `v${i}` })) });
    await producer.disconnect();
  };
  const topicEnds = async (topic: string) => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((p) => p.high);
    } finally {
      await admin.disconnect();
    }
  };
  before(async () => {
    kafka = new Kafka({ clientId: "migrate-test", brokers: [broker.address], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: ["a", "b", "c", "taken"].map((topic) => ({ topic, numPartitions: 4 })),
      waitForLeaders: true,
    });
    await admin.disconnect();
    for (const topic of ["a", "b", "c"]) await produce(topic, 40);
  });

  it("when the new topic exists already, then the migration refuses and copies nothing", async () => {
    await assert.rejects(
      migrateTopic({ brokers: [broker.address], from: "a", to: "taken", partitions: 2, groups: [] }),
      (error) => error instanceof MigrationError && /topic taken exists already/.test(error.message),
    );
    assert.deepEqual(await topicEnds("taken"), ["0", "0", "0", "0"]);
  });

  it("when a producer writes to the new topic before the cutover, then no group is handed over", async () => {
    await assert.rejects(
      migrateTopic({
        brokers: [broker.address],
        from: "b",
        to: "b.v2",
        partitions: 2,
        groups: [],
        say: async (line) => {
          if (line.startsWith("cutover:")) await produce("b.v2", 1);
        },
      }),
      (error) =>
        error instanceof MigrationError && /b\.v2 holds records the migration did not write/.test(error.message),
    );
  });

  it("when a record reaches the old topic after the cutover, then the migration says so instead of leaving it behind", async () => {
    await assert.rejects(
      migrateTopic({
        brokers: [broker.address],
        from: "c",
        to: "c.v2",
        partitions: 2,
        groups: [],
        say: async (line) => {
          if (line.startsWith("cutover at")) await produce("c", 1);
        },
      }),
      (error) => error instanceof MigrationError && /1 records were written to c after the cutover/.test(error.message),
    );
  });
});
