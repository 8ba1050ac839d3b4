// Seeding on a real broker and a real SQLite file: the directory in points-api's tables with a key
// for every terminal, and the opening balances as charge commands on points.commands.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../../apps/shared/config.ts";
import { createDb } from "../../apps/shared/db/client.ts";
import { readTerminalKeys } from "../../apps/shared/terminal-keys.ts";
import { COMMANDS_TOPIC, pointsCommandSchema } from "../../apps/shared/topics.ts";
import { demoUsers } from "../../seed/demo-data.ts";
import { needsSeed, openingCommandId, provisionAllTerminalKeys, seedDemo } from "../../seed/seed-demo.ts";
import { CommandsTap, endOffsets } from "../apps/points-api/helpers.ts";
import { type AppEnv, createAppEnv } from "../helpers/app-process.ts";
import { type BrokerProcess, startBroker } from "../helpers/broker-process.ts";
import { cleanupAll, waitFor } from "../helpers/wait.ts";

describe("seedDemo", () => {
  let broker: BrokerProcess;
  let appEnv: AppEnv;
  let tap: CommandsTap | undefined;

  before(async () => {
    broker = await startBroker();
    appEnv = createAppEnv(broker.address, { POINTS_PARTITIONS: "3" });
  });
  after(() =>
    cleanupAll(
      () => tap?.stop(),
      () => broker?.cleanup(),
      () => appEnv?.cleanup(),
    ),
  );

  const tableCounts = async () => {
    const db = createDb(appEnv.databaseUrl);
    const ledgerDb = createDb(appEnv.databaseUrlOf("ledger"));
    try {
      return {
        stores: await db.store.count(),
        terminals: await db.terminal.count(),
        users: await db.user.count(),
        ledgerEntries: await ledgerDb.ledgerEntry.count(),
      };
    } finally {
      await Promise.all([db.$disconnect(), ledgerDb.$disconnect()]);
    }
  };

  it("when a fresh data directory is seeded, then the directory is written and each user's opening balance is a charge keyed by the user, with a fixed id", async () => {
    const config = loadConfig(appEnv.env());
    assert.equal(await needsSeed(config), true);

    const result = await seedDemo(config, { users: 4, stores: 2 });

    assert.deepEqual(result, { stores: 2, terminals: 4, users: 4, openingCommands: 4 });
    assert.deepEqual(await tableCounts(), { stores: 2, terminals: 4, users: 4, ledgerEntries: 0 });
    assert.equal(await needsSeed(config), false);
    assert.deepEqual(Object.keys(readTerminalKeys(appEnv.dataDir)).sort(), [
      "store-1-pos-1",
      "store-1-pos-2",
      "store-2-pos-1",
      "store-2-pos-2",
    ]);
    tap = await CommandsTap.start(broker.address);
    await waitFor(() => tap!.records.length === 4, { message: "the four opening commands" });
    const users = demoUsers(4);
    for (const user of users) {
      const record = tap.records.find((r) => r.key === user.id)!;
      const command = pointsCommandSchema.parse(JSON.parse(record.value));
      assert.deepEqual(
        [command.commandId, command.type, command.amount, command.storeId, command.terminalId, command.reason],
        [openingCommandId(user.id), "charge", user.openingBalance, "store-1", "store-1-pos-1", "opening balance"],
      );
    }
  });

  it("when seeded again, then the tables and the terminals' keys are as they were and the same command ids are sent again (the ledger applies each once)", async () => {
    const keys = readTerminalKeys(appEnv.dataDir);
    await seedDemo(loadConfig(appEnv.env()), { users: 4, stores: 2 });
    assert.deepEqual(await tableCounts(), { stores: 2, terminals: 4, users: 4, ledgerEntries: 0 });
    assert.deepEqual(readTerminalKeys(appEnv.dataDir), keys);
    const ends = await endOffsets(broker.address, COMMANDS_TOPIC);
    assert.equal(
      Object.values(ends).reduce((sum, end) => sum + Number(end), 0),
      8,
    );
    await waitFor(() => tap!.records.length === 8, { message: "the opening commands, twice" });
    assert.deepEqual(
      new Set(tap!.records.map((r) => (JSON.parse(r.value) as { commandId: string }).commandId)),
      new Set(demoUsers(4).map((u) => openingCommandId(u.id))),
    );
  });

  it("when a terminal in the database has no key (a data directory from before keys), then provisioning all gives it one and lists every keyed terminal with its store", async () => {
    const config = loadConfig(appEnv.env());
    const db = createDb(appEnv.databaseUrl);
    try {
      await db.terminal.create({ data: { id: "store-2-pos-3", storeId: "store-2", name: "POS 3" } });
    } finally {
      await db.$disconnect();
    }
    const keyed = await provisionAllTerminalKeys(config);
    assert.deepEqual(
      keyed.map((t) => [t.id, t.storeId]),
      [
        ["store-1-pos-1", "store-1"],
        ["store-1-pos-2", "store-1"],
        ["store-2-pos-1", "store-2"],
        ["store-2-pos-2", "store-2"],
        ["store-2-pos-3", "store-2"],
      ],
    );
    assert.equal(keyed.at(-1)!.key, readTerminalKeys(appEnv.dataDir)["store-2-pos-3"]);
  });
});
